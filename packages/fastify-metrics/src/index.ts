/**
 * The metrics every Latchkey service exports (Prometheus text via prom-client): per-route latency,
 * the revocation view's size and age, and the process's own metrics. Each app has its own
 * registry, so many apps in one process (tests, the one-process launcher) never collide;
 * process-wide metrics (CPU, memory, event loop, GC) are collected once per process. A service
 * adds its own metrics to `app.metrics.registers`.
 *
 * They are served by a listener of their own (listenForMetrics), never on an API port: one per
 * process, which in the one-process launcher serves both services, each sample labelled by
 * `service`.
 */
import fp from 'fastify-plugin'
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest, type HookHandlerDoneFunction } from 'fastify'
import { AggregatorRegistry, collectDefaultMetrics, Gauge, Registry } from 'prom-client'
import { fastifyProblem } from '@latchkey/fastify-problem'
import { RouteLatencyHistogram } from './route-latency.js'

declare module 'fastify' {
  interface FastifyInstance { metrics: { registry: Registry, registers: Registry[] } }
}

let processRegistry: Registry | undefined
function processMetrics (): Registry {
  if (processRegistry === undefined) {
    processRegistry = new Registry()
    collectDefaultMetrics({ register: processRegistry })
  }
  return processRegistry
}

/**
 * Each app's registry, found from the instance a caller holds: a service may register itself as an
 * encapsulated plugin (users does), so the root instance does not see the `metrics` decorator, but
 * every context of one app shares its server.
 */
const registries = new WeakMap<object, Registry>()

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

/**
 * What these metrics read of the guard's revocation view. Said here, structurally, so that the
 * metrics do not depend on the guard: the guard's RevocationView satisfies it as it is.
 */
export interface RevocationViewGauges {
  /** Live revocations held in memory, by kind. */
  readonly size: { sessions: number, accounts: number }
  /** Milliseconds since the view was last confirmed current; Infinity before its first load. */
  readonly ageMs: number
}

export interface ServiceMetricsOptions {
  /** The `service` label of every metric. */
  service: string
  /** The app's revocation view (its size and age are exported). */
  view: RevocationViewGauges
}

export const fastifyServiceMetrics = fp<ServiceMetricsOptions>(async function fastifyServiceMetrics (app, options) {
  const registry = new Registry()
  registry.setDefaultLabels({ service: options.service })
  const registers = [registry]

  const latency = new RouteLatencyHistogram('latchkey_http_request_duration_seconds', 'Time from request received to response sent, by route template', LATENCY_BUCKETS)
  registry.registerMetric(latency.asMetric())
  const view = options.view
  registry.registerMetric(new Gauge({
    name: 'latchkey_revocation_view_entries',
    help: 'Live revocations held in this process\'s in-memory view, by kind',
    labelNames: ['kind'] as const,
    registers: [],
    collect () {
      const size = view.size
      this.set({ kind: 'session' }, size.sessions)
      this.set({ kind: 'account' }, size.accounts)
    }
  }))
  registry.registerMetric(new Gauge({
    name: 'latchkey_revocation_view_age_seconds',
    help: 'Seconds since the revocation view was last confirmed current (+Inf before its first load)',
    registers: [],
    collect () { this.set(view.ageMs / 1000) }
  }))

  app.decorate('metrics', { registry, registers })
  registries.set(app.server, registry)

  // Callback style: an async hook costs a promise per request on every route, /verify included.
  app.addHook('onResponse', (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => {
    latency.observe(request.method, request.routeOptions.url ?? 'unmatched', reply.statusCode, reply.elapsedTime / 1000)
    done()
  })
}, { name: 'fastify-service-metrics', fastify: '5.x' })

/**
 * The Prometheus text of these apps' metrics and the process's. Two services in one process share
 * metric names (only their `service` label differs), so their samples are merged family by family:
 * a name appears once, with one HELP and TYPE, as the exposition format requires. Every sample
 * keeps its labels, so the default sum of the merge never adds two services together. The
 * process's metrics are appended as they are: the merge would drop some (process_start_time_seconds).
 */
export async function scrapeMetrics (apps: readonly FastifyInstance[]): Promise<string> {
  const families = await Promise.all(apps.map(async app => {
    const registry = registries.get(app.server)
    if (registry === undefined) throw new Error('scrapeMetrics: an app without fastifyServiceMetrics (or not ready yet)')
    return await registry.getMetricsAsJSON()
  }))
  return await AggregatorRegistry.aggregate(families).metrics() + await processMetrics().metrics()
}

export interface MetricsListenerOptions {
  /** METRICS_HOST: keep it on an interface only the scraper reaches. */
  host: string
  /** METRICS_PORT; 0 picks a free one (see `port` of the result). */
  port: number
}

export interface MetricsListener {
  /** The bound port (the chosen one when asked for 0). */
  port: number
  /** `http://host:port/metrics`. */
  url: string
  close (): Promise<void>
}

/**
 * GET /metrics for `apps`, on its own listener: the API ports do not serve it, so a gateway that
 * forwards everything cannot expose it (ASVS 13.4.5). Anything else answers the same RFC 9457
 * 404 and 405 problems as the services.
 */
export async function listenForMetrics (apps: readonly FastifyInstance[], options: MetricsListenerOptions): Promise<MetricsListener> {
  const listener = Fastify({ logger: false, return503OnClosing: true })
  await listener.register(fastifyProblem)
  listener.get('/metrics', async (_request, reply) => {
    const text = await scrapeMetrics(apps)
    return await reply.type(Registry.PROMETHEUS_CONTENT_TYPE).header('cache-control', 'no-store').send(text)
  })
  try {
    await listener.listen({ host: options.host, port: options.port })
  } catch (error) {
    await listener.close()
    const code = (error as { code?: unknown }).code
    throw Object.assign(new Error(`METRICS_HOST/METRICS_PORT: the metrics listener cannot listen on ${options.host}:${options.port} (${typeof code === 'string' ? code : String(error)}); give each process on this host its own METRICS_PORT`, { cause: error }), { code })
  }
  const address = listener.server.address()
  const port = typeof address === 'object' && address !== null ? address.port : options.port
  const host = options.host.includes(':') ? `[${options.host}]` : options.host
  return { port, url: `http://${host}:${port}/metrics`, close: async () => { await listener.close() } }
}
