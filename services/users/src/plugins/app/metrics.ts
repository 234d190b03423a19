/**
 * Prometheus metrics of the users service at `GET /metrics` (prom-client text format). Each app
 * has its own registry, so many apps in one process (tests, the one-process launcher) never
 * collide; process-wide metrics (CPU, memory, event loop, GC) live in one registry per process.
 * Metric names and labels match the auth service's, so one dashboard serves both.
 */
import fp from 'fastify-plugin'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client'

declare module 'fastify' {
  interface FastifyInstance { metrics: { registry: Registry } }
}

let processRegistry: Registry | undefined
/** CPU, memory, event-loop lag and GC belong to the process, not to one app: collected once. */
function processMetrics (): Registry {
  if (processRegistry === undefined) {
    processRegistry = new Registry()
    collectDefaultMetrics({ register: processRegistry })
  }
  return processRegistry
}

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

export default fp(async function metrics (app) {
  const registry = new Registry()
  registry.setDefaultLabels({ service: 'users' })
  const registers = [registry]

  const latency = new Histogram({
    name: 'latchkey_http_request_duration_seconds',
    help: 'Time from request received to response sent, by route template',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: LATENCY_BUCKETS,
    registers
  })
  new Gauge({
    name: 'latchkey_revocation_view_entries',
    help: 'Live revocations held in this process\'s in-memory view, by kind',
    labelNames: ['kind'] as const,
    registers,
    collect () {
      const size = app.revocations.size
      this.set({ kind: 'session' }, size.sessions)
      this.set({ kind: 'account' }, size.accounts)
    }
  })
  new Gauge({
    name: 'latchkey_revocation_view_age_seconds',
    help: 'Seconds since the revocation view was last confirmed current (+Inf before its first load)',
    registers,
    collect () { this.set(app.revocations.ageMs / 1000) }
  })
  new Gauge({
    name: 'latchkey_users_account_events_consuming',
    help: '1 while account events are being consumed (the transport answered its last request), else 0',
    registers,
    collect () { this.set(app.accountEvents.running ? 1 : 0) }
  })
  new Gauge({
    name: 'latchkey_users_account_event_lag_seconds',
    help: 'Seconds between the publication of the newest handled account event and its handling',
    registers,
    collect () {
      const lagMs = app.accountEvents.lagMs
      if (lagMs !== undefined) this.set(lagMs / 1000)
    }
  })

  app.decorate('metrics', { registry })

  app.addHook('onResponse', async (request: FastifyRequest, reply: FastifyReply) => {
    const route = request.routeOptions.url ?? 'unmatched'
    latency.observe({ method: request.method, route, status_code: reply.statusCode }, reply.elapsedTime / 1000)
  })

  app.get('/metrics', { logLevel: 'warn', schema: { hide: true } }, async (_request, reply) => {
    const text = await registry.metrics() + await processMetrics().metrics()
    return await reply.type(registry.contentType).header('cache-control', 'no-store').send(text)
  })
}, { name: 'metrics', dependencies: ['jwt-guard', 'account-events-consumer'] })
