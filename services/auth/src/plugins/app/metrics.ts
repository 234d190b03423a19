/**
 * Prometheus metrics of the auth service at `GET /metrics` (prom-client text format). Each app
 * has its own registry, so many apps in one process (tests, the one-process launcher) never
 * collide; process-wide metrics (CPU, memory, event loop, GC) live in one registry per process.
 *
 * Domain counters are derived from answers (route + status + problem code), so the domain code
 * stays free of instrumentation; gauges are read at scrape time from the decorators that own them.
 */
import fp from 'fastify-plugin'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client'
import type { RevocationEntry, RevocationView } from '@latchkey/fastify-jwt-guard'

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

/** Which problem code an error answer carried; read in onSend, where the payload is still at hand. */
const problemCodes = new WeakMap<FastifyRequest, string>()

function problemCode (payload: unknown): string | undefined {
  if (typeof payload !== 'string' || !payload.startsWith('{')) return undefined
  try {
    const code: unknown = (JSON.parse(payload) as { code?: unknown }).code
    return typeof code === 'string' ? code : undefined
  } catch {
    return undefined
  }
}

function outcomeOf (statusCode: number): string {
  if (statusCode < 300) return 'success'
  if (statusCode === 401 || statusCode === 403) return 'failure'
  if (statusCode === 429) return 'rate_limited'
  if (statusCode < 500) return 'invalid_request'
  return 'error'
}

export interface AuthMetricsOptions {
  /** The app's revocation view (its size and age are exported). */
  view: RevocationView
}

export default fp(async function metrics (app, options: AuthMetricsOptions) {
  const registry = new Registry()
  registry.setDefaultLabels({ service: 'auth' })
  const registers = [registry]

  const latency = new Histogram({
    name: 'latchkey_http_request_duration_seconds',
    help: 'Time from request received to response sent, by route template',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: LATENCY_BUCKETS,
    registers
  })
  const logins = new Counter({
    name: 'latchkey_auth_logins_total',
    help: 'Log-in attempts (POST /sessions) by outcome: success, failure (bad credentials or disabled), rate_limited, invalid_request, error',
    labelNames: ['outcome'] as const,
    registers
  })
  const refreshes = new Counter({
    name: 'latchkey_auth_refreshes_total',
    help: 'Refresh attempts (POST /sessions/refresh) by outcome: success, failure, reused, rate_limited, invalid_request, error',
    labelNames: ['outcome'] as const,
    registers
  })
  const reuseDetections = new Counter({
    name: 'latchkey_auth_refresh_reuse_detections_total',
    help: 'Spent refresh tokens presented again; each one revoked its session',
    registers
  })
  const revocations = new Counter({
    name: 'latchkey_auth_revocations_total',
    help: 'Revocation entries published after commit, by kind (session, or account-wide cut-off)',
    labelNames: ['kind'] as const,
    registers
  })
  for (const outcome of ['success', 'failure']) {
    logins.inc({ outcome }, 0)
    refreshes.inc({ outcome }, 0)
  }
  for (const kind of ['session', 'account']) revocations.inc({ kind }, 0)

  const view = options.view
  new Gauge({
    name: 'latchkey_revocation_view_entries',
    help: 'Live revocations held in this process\'s in-memory view, by kind',
    labelNames: ['kind'] as const,
    registers,
    collect () {
      const size = view.size
      this.set({ kind: 'session' }, size.sessions)
      this.set({ kind: 'account' }, size.accounts)
    }
  })
  new Gauge({
    name: 'latchkey_revocation_view_age_seconds',
    help: 'Seconds since the revocation view was last confirmed current (+Inf before its first load)',
    registers,
    collect () { this.set(view.ageMs / 1000) }
  })
  new Gauge({
    name: 'latchkey_auth_outbox_lag_seconds',
    help: 'Age of the oldest account event not yet relayed to the stream (0 when none is pending)',
    registers,
    async collect () {
      try {
        this.set(await app.outbox.lagMs() / 1000)
      } catch {
        this.set(Number.NaN)
      }
    }
  })
  new Gauge({
    name: 'latchkey_auth_password_hash_queue_depth',
    help: 'Password hashes or verifications waiting for a hashing slot (PASSWORD_HASH_CONCURRENCY)',
    registers,
    collect () { this.set(app.passwordHasher.queueDepth) }
  })

  // Revocations are counted where they are published (after their transaction committed). The
  // reconcile timer's retries call the inner function, so they are not counted twice.
  const publish = app.revocations.publish
  app.revocations.publish = async (entries: RevocationEntry[]): Promise<void> => {
    for (const entry of entries) revocations.inc({ kind: entry.kind })
    await publish(entries)
  }

  app.decorate('metrics', { registry })

  app.addHook('onSend', async (request: FastifyRequest, reply: FastifyReply, payload: unknown) => {
    if (reply.statusCode >= 400) {
      const code = problemCode(payload)
      if (code !== undefined) problemCodes.set(request, code)
    }
    return payload
  })

  app.addHook('onResponse', async (request: FastifyRequest, reply: FastifyReply) => {
    const route = request.routeOptions.url ?? 'unmatched'
    const status = reply.statusCode
    latency.observe({ method: request.method, route, status_code: status }, reply.elapsedTime / 1000)
    if (request.method !== 'POST') return
    if (route === '/sessions') {
      logins.inc({ outcome: outcomeOf(status) })
    } else if (route === '/sessions/refresh') {
      const reused = problemCodes.get(request) === 'refresh_token_reused'
      if (reused) reuseDetections.inc()
      refreshes.inc({ outcome: reused ? 'reused' : outcomeOf(status) })
    }
  })

  app.get('/metrics', { logLevel: 'warn', schema: { hide: true } }, async (_request, reply) => {
    const text = await registry.metrics() + await processMetrics().metrics()
    return await reply.type(registry.contentType).header('cache-control', 'no-store').send(text)
  })
}, { name: 'metrics', dependencies: ['password-hasher', 'revocations', 'outbox'] })
