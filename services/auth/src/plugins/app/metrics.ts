/**
 * The auth service's metrics (served by the metrics listener, see server.ts): the shared ones (per-route latency, revocation
 * view; see @latchkey/fastify-metrics) plus log-ins, refreshes, reuse detections, revocations,
 * outbox lag and the password-hashing queue.
 *
 * Domain counters are derived from answers (route + status + problem code), so the domain code
 * stays free of instrumentation; gauges are read at scrape time from the decorators that own them.
 */
import fp from 'fastify-plugin'
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify'
import { Counter, Gauge } from 'prom-client'
import { fastifyServiceMetrics } from '@latchkey/fastify-metrics'
import type { RevocationEntry, RevocationView } from '@latchkey/fastify-jwt-guard'

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
  await app.register(fastifyServiceMetrics, { service: 'auth', view: options.view })
  const registers = app.metrics.registers

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

  app.metrics.registry.registerMetric(new Gauge({
    name: 'latchkey_auth_outbox_lag_seconds',
    help: 'Age of the oldest account event not yet relayed to the stream (0 when none is pending)',
    registers: [],
    async collect () {
      try {
        this.set(await app.outbox.lagMs() / 1000)
      } catch {
        this.set(Number.NaN)
      }
    }
  }))
  app.metrics.registry.registerMetric(new Gauge({
    name: 'latchkey_auth_password_hash_queue_depth',
    help: 'Password hashes or verifications waiting for a hashing slot (PASSWORD_HASH_CONCURRENCY)',
    registers: [],
    collect () { this.set(app.passwordHasher.queueDepth) }
  }))
  app.metrics.registry.registerMetric(new Counter({
    name: 'latchkey_auth_password_verifications_total',
    help: 'argon2 verifications run (log in and re-authentication), dummy ones for unknown emails included',
    registers: [],
    collect () { this.reset(); this.inc(app.passwordHasher.verifications) }
  }))

  const mails = new Counter({
    name: 'latchkey_auth_mails_total',
    help: 'Mails of the outbox by kind and outcome: sent, skipped (no longer applies), retried, dead_lettered (every attempt failed)',
    labelNames: ['kind', 'outcome'] as const,
    registers
  })
  app.mail.observe((kind, outcome) => { mails.inc({ kind, outcome }) })

  // Revocations are counted where they are published (after their transaction committed). The
  // reconcile timer's retries call the inner function, so they are not counted twice.
  const publish = app.revoker.publish.bind(app.revoker)
  app.revoker.publish = async (entries: RevocationEntry[]): Promise<void> => {
    for (const entry of entries) revocations.inc({ kind: entry.kind })
    await publish(entries)
  }

  // Only the two routes these counters describe get hooks; every other route, /verify above all,
  // pays nothing for them.
  const onSend = (request: FastifyRequest, reply: FastifyReply, payload: unknown, done: (error: null, payload: unknown) => void): void => {
    if (reply.statusCode >= 400) {
      const code = problemCode(payload)
      if (code !== undefined) problemCodes.set(request, code)
    }
    done(null, payload)
  }
  const countLogin = (_request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void => {
    logins.inc({ outcome: outcomeOf(reply.statusCode) })
    done()
  }
  const countRefresh = (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void => {
    const reused = problemCodes.get(request) === 'refresh_token_reused'
    if (reused) reuseDetections.inc()
    refreshes.inc({ outcome: reused ? 'reused' : outcomeOf(reply.statusCode) })
    done()
  }
  app.addHook('onRoute', route => {
    const methods = Array.isArray(route.method) ? route.method : [route.method]
    if (!methods.includes('POST')) return
    const counter = route.url === '/sessions' ? countLogin : route.url === '/sessions/refresh' ? countRefresh : undefined
    if (counter === undefined) return
    route.onSend = [...[route.onSend ?? []].flat(), onSend]
    route.onResponse = [...[route.onResponse ?? []].flat(), counter]
  })
}, { name: 'metrics', dependencies: ['password-hasher', 'revoker', 'outbox', 'mail'] })
