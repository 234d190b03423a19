/**
 * The metrics every Latchkey service exports at `GET /metrics` (Prometheus text via prom-client):
 * per-route latency, the revocation view's size and age, and the process's own metrics. Each app
 * has its own registry, so many apps in one process (tests, the one-process launcher) never
 * collide; process-wide metrics (CPU, memory, event loop, GC) are collected once per process. A
 * service adds its own metrics to `app.metrics.registers`.
 */
import fp from 'fastify-plugin'
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify'
import { collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client'
// Only for its typing of `schema.hide`, which keeps /metrics out of the OpenAPI documents.
import type {} from '@fastify/swagger'

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

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

/**
 * What these metrics read of the guard's revocation view. Said here, structurally, so that the
 * metrics depend on no other package: the guard's RevocationView satisfies it as it is.
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

  const latency = new Histogram({
    name: 'latchkey_http_request_duration_seconds',
    help: 'Time from request received to response sent, by route template',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: LATENCY_BUCKETS,
    registers
  })
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

  // Callback style: an async hook costs a promise per request on every route, /verify included.
  app.addHook('onResponse', (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => {
    latency.observe({ method: request.method, route: request.routeOptions.url ?? 'unmatched', status_code: reply.statusCode }, reply.elapsedTime / 1000)
    done()
  })

  app.get('/metrics', { logLevel: 'warn', schema: { hide: true } }, async (_request, reply) => {
    const text = await registry.metrics() + await processMetrics().metrics()
    return await reply.type(registry.contentType).header('cache-control', 'no-store').send(text)
  })
}, { name: 'fastify-service-metrics', fastify: '5.x' })
