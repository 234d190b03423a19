/**
 * The per-route latency histogram, recorded on every answer of every route (the token-verification
 * hot path included). prom-client's Histogram#observe validates the label object, builds a string
 * key from it and converts the bucket bound to a property name on each call; here a series is found
 * by three lookups on values that are already interned strings or small integers, and a bucket by
 * index. The exported family is what prom-client's Histogram exports: same name, labels, buckets,
 * cumulative counts, _sum and _count, in the order the series were first seen.
 */
import type { Metric, MetricObjectWithValues, MetricValueWithName } from 'prom-client'

type LatencyLabels = 'method' | 'route' | 'status_code' | 'le'

interface Series {
  readonly labels: { method: string, route: string, status_code: number }
  /** Observations per bucket (not cumulative); the last slot counts those above the highest bound. */
  readonly counts: number[]
  sum: number
  count: number
}

export class RouteLatencyHistogram {
  readonly type = 'histogram'
  readonly aggregator = 'sum'
  readonly #buckets: readonly number[]
  /** route template → method → status code → series. */
  readonly #series = new Map<string, Map<string, Map<number, Series>>>()
  /** Every series in the order first seen, as prom-client exports them. */
  readonly #ordered: Series[] = []

  constructor (readonly name: string, readonly help: string, buckets: readonly number[]) {
    this.#buckets = [...buckets].sort((a, b) => a - b)
  }

  observe (method: string, route: string, statusCode: number, seconds: number): void {
    let byMethod = this.#series.get(route)
    if (byMethod === undefined) this.#series.set(route, byMethod = new Map<string, Map<number, Series>>())
    let byStatus = byMethod.get(method)
    if (byStatus === undefined) byMethod.set(method, byStatus = new Map<number, Series>())
    let series = byStatus.get(statusCode)
    if (series === undefined) {
      series = { labels: { method, route, status_code: statusCode }, counts: new Array<number>(this.#buckets.length + 1).fill(0), sum: 0, count: 0 }
      byStatus.set(statusCode, series)
      this.#ordered.push(series)
    }
    const buckets = this.#buckets
    let bucket = 0
    while (bucket < buckets.length && seconds > (buckets[bucket] as number)) bucket++
    series.counts[bucket] = (series.counts[bucket] as number) + 1
    series.sum += seconds
    series.count++
  }

  /** What a registry reads (getMetricsAsJSON, metrics()): prom-client's Histogram#get() shape. */
  async get (): Promise<MetricObjectWithValues<MetricValueWithName<LatencyLabels>>> {
    const values: Array<MetricValueWithName<LatencyLabels>> = []
    for (const { labels, counts, sum, count } of this.#ordered) {
      let cumulative = 0
      this.#buckets.forEach((le, i) => {
        cumulative += counts[i] as number
        values.push({ labels: { le, ...labels }, value: cumulative, metricName: `${this.name}_bucket` })
      })
      values.push(
        { labels: { le: '+Inf', ...labels }, value: count, metricName: `${this.name}_bucket` },
        { labels: { ...labels }, value: sum, metricName: `${this.name}_sum` },
        { labels: { ...labels }, value: count, metricName: `${this.name}_count` }
      )
    }
    // prom-client's typings declare `type` an enum and a `collect` its own classes do not return either.
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values } as unknown as MetricObjectWithValues<MetricValueWithName<LatencyLabels>>
  }

  /**
   * For Registry#registerMetric, which is typed for prom-client's own classes only; at run time a
   * registry needs only `name` and `get()`, and the aggregation of scrapeMetrics reads `get()`.
   */
  asMetric (): Metric {
    return this as unknown as Metric
  }
}
