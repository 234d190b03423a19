/**
 * Traffic and its verdict for the tests that break a Redis deployment under load (a Sentinel
 * failover, a Cluster primary restart or slot migration): /verify and /users/me with a live token,
 * log in + log out, registration, and every revoked token tried again at both guards, running
 * until stopped; then what must hold whatever Redis did. A log out answered 204 is a revocation
 * no guard may ignore once REVOCATION_MAX_STALENESS passed; every registration reaches the users
 * service exactly once; nothing answers but success or 503; the failure limit still counts.
 */
import type { Test } from 'tap'
import { randomUUID } from 'node:crypto'
import { closePostgres, connectPostgres } from '@latchkey/postgres-kit'
import { authEnv, call, entryOf, freePort, spawnService, usersEnv, withoutUrl, type Isolation, type ServiceProcess } from './processes.js'

const password = 'correct horse battery staple'

/** Seconds both guards allow between heartbeats: small, so recovery shows within a test. */
export const OUTAGE_MAX_STALENESS = 2
const LOGIN_FAILURES_MAX = 3

/**
 * The built auth and users services on the Redis deployment `redisEnv` describes (REDIS_URL left
 * out; `usersRedisEnv` for the users service when it logs in as another Redis user), with a
 * staleness bound and a failure limit small enough to show within a test and a cheap hash, and
 * the traffic running between them.
 */
export async function startServicesUnderTraffic (t: Test, isolation: Isolation, redisEnv: Record<string, string>, usersRedisEnv = redisEnv): Promise<{ auth: ServiceProcess, users: ServiceProcess, traffic: Traffic }> {
  const env = { ...redisEnv, REVOCATION_MAX_STALENESS: String(OUTAGE_MAX_STALENESS) }
  const authPort = await freePort()
  const auth = await spawnService(t, entryOf('auth'), {
    ...withoutUrl(authEnv(isolation, authPort, env)),
    LOGIN_FAILURES_MAX: String(LOGIN_FAILURES_MAX),
    RATE_LIMIT_IP_MAX: '100000',
    ARGON2_MEMORY_COST: '8192',
    ARGON2_TIME_COST: '1'
  }, { port: authPort })
  const usersPort = await freePort()
  const users = await spawnService(t, entryOf('users'), withoutUrl(usersEnv(isolation, usersPort, auth.url, { ...usersRedisEnv, REVOCATION_MAX_STALENESS: String(OUTAGE_MAX_STALENESS), LOG_LEVEL: 'debug' })), { port: usersPort })
  const traffic = await startTraffic({ auth, users }, { isolation, maxStalenessSeconds: OUTAGE_MAX_STALENESS, loginFailuresMax: LOGIN_FAILURES_MAX })
  return { auth, users, traffic }
}

export interface Answer { at: number, status: number, code: string | undefined }

/** A request that got no HTTP answer at all (the process died, or refused the connection). */
function unreachable (): { status: number, body: Record<string, unknown> } {
  return { status: 0, body: {} }
}

export function sleep (ms: number): Promise<void> {
  return new Promise(resolve => setTimeout(resolve, ms))
}

async function guard (service: ServiceProcess, path: string, token: string): Promise<Answer> {
  const answer = await call(service.url + path, 'GET', { token }).catch(unreachable)
  return { at: performance.now(), status: answer.status, code: typeof answer.body.code === 'string' ? answer.body.code : undefined }
}

/** Whether the guard let the token through: anything but its 401 and 503 (users' 404 for a missing profile passed it). */
function accepted (answer: Answer): boolean {
  return answer.status !== 401 && answer.status !== 503
}

/** First and last 503 at or after `from`, ms after it. */
function window503 (answers: Answer[], from: number): { first: number, last: number, count: number } | undefined {
  const unavailable = answers.filter(answer => answer.at >= from && answer.status === 503)
  if (unavailable.length === 0) return undefined
  return { first: (unavailable[0]?.at ?? from) - from, last: (unavailable.at(-1)?.at ?? from) - from, count: unavailable.length }
}

export interface Traffic {
  /** Resolves once both guards answered the live token 200 ten times in a row after `since`; false after `timeoutMs`. */
  untilFresh (since: number, timeoutMs?: number): Promise<boolean>
  /** Stops the load and checks everything that must hold; `label` names the fault in the messages. */
  verdict (t: Test, label: string): Promise<void>
  /** A line on the 503s each guard answered since `from`. */
  describe503 (from: number): string
}

async function startTraffic (services: { auth: ServiceProcess, users: ServiceProcess }, options: { isolation: Isolation, maxStalenessSeconds: number, loginFailuresMax: number }): Promise<Traffic> {
  const { auth, users } = services
  const maxStalenessMs = options.maxStalenessSeconds * 1000
  const registered: string[] = []
  const unexpected: string[] = []
  async function register (): Promise<{ id: string, email: string } | undefined> {
    const email = `outage-${randomUUID()}@example.test`
    const created = await call(`${auth.url}/accounts`, 'POST', { body: { email, password, name: 'Outage Test' } }).catch(unreachable)
    if (created.status === 201) {
      registered.push(String(created.body.id))
      return { id: String(created.body.id), email }
    }
    if (created.status !== 503) unexpected.push(`register: ${created.status}`)
    return undefined
  }
  async function logIn (email: string): Promise<string | undefined> {
    const session = await call(`${auth.url}/sessions`, 'POST', { body: { email, password } }).catch(unreachable)
    if (session.status === 201) return String(session.body.accessToken)
    if (session.status !== 503) unexpected.push(`log in: ${session.status}`)
    return undefined
  }
  /** Tokens whose log out was answered 204: from then on no guard may accept them. */
  const revoked: string[] = []
  const revokedAt = new Map<string, number>()
  async function logOut (token: string): Promise<void> {
    const answer = await call(`${auth.url}/sessions/current`, 'DELETE', { token }).catch(unreachable)
    if (answer.status === 204) {
      revoked.push(token)
      revokedAt.set(token, performance.now())
    } else if (answer.status !== 503) unexpected.push(`log out: ${answer.status}`)
  }

  const member = await register()
  if (member === undefined) throw new Error('could not register before the fault')
  const liveToken = await logIn(member.email)
  if (liveToken === undefined) throw new Error('could not log in before the fault')
  for (let i = 0; i < 3; i++) {
    const token = await logIn(member.email)
    if (token !== undefined) await logOut(token)
  }
  if (revoked.length !== 3 || (await guard(users, '/users/me', liveToken)).status !== 200) throw new Error('the services did not work before the fault')

  const load = { running: true }
  const verifies: Record<'auth' | 'users', Answer[]> = { auth: [], users: [] }
  const acceptances: string[] = []
  const withinBound = new Set<string>()
  const loops = [
    (async () => {
      while (load.running) {
        verifies.auth.push(await guard(auth, '/verify', liveToken))
        verifies.users.push(await guard(users, '/users/me', liveToken))
        await sleep(20)
      }
    })(),
    (async () => {
      while (load.running) {
        const token = await logIn(member.email)
        if (token !== undefined) await logOut(token)
        else await sleep(50)
      }
    })(),
    (async () => {
      while (load.running) {
        if (await register() === undefined) await sleep(50)
      }
    })(),
    (async () => {
      while (load.running) {
        for (const token of [...revoked]) {
          for (const [name, service, path] of [['auth', auth, '/verify'], ['users', users, '/users/me']] as const) {
            const answer = await guard(service, path, token)
            if (!accepted(answer)) continue
            // Within the bound a guard that has not heard of the revocation yet may still be
            // fresh (the documented contract); past it, an acceptance is a lost revocation.
            const sinceLogOut = answer.at - (revokedAt.get(token) ?? 0)
            if (sinceLogOut > maxStalenessMs) acceptances.push(`${name}: ${answer.status} for revoked token #${revoked.indexOf(token)}, ${Math.round(sinceLogOut)} ms after its log out`)
            else withinBound.add(`${name}:${token}`)
          }
        }
        await sleep(20)
      }
    })()
  ]

  return {
    async untilFresh (since, timeoutMs = 30_000) {
      let streak = 0
      const deadline = performance.now() + timeoutMs
      while (streak < 10 && performance.now() < deadline) {
        const [a, u] = [verifies.auth.at(-1), verifies.users.at(-1)]
        streak = a?.status === 200 && u?.status === 200 && a.at > since && u.at > since ? streak + 1 : 0
        await sleep(25)
      }
      return streak === 10
    },

    describe503 (from) {
      const describe = (window: ReturnType<typeof window503>): string =>
        window === undefined ? 'no 503' : `503 from ${Math.round(window.first)} to ${Math.round(window.last)} ms after it (${window.count} answers)`
      return `/verify at auth: ${describe(window503(verifies.auth, from))}; /users/me at users: ${describe(window503(verifies.users, from))}`
    },

    async verdict (t, label) {
      load.running = false
      await Promise.all(loops)
      t.same(acceptances, [], `no revoked token (${revoked.length}, logged out before, during and after the ${label}) was accepted by either service once REVOCATION_MAX_STALENESS had passed since its log out`)
      t.same(unexpected, [], 'nothing answered but success or 503 (no 500, no crash)')
      t.equal(auth.child.exitCode, null, 'the auth service is still running')
      t.equal(users.child.exitCode, null, 'the users service is still running')

      let refusedEverywhere = 0
      for (const token of revoked) {
        const answers = [await guard(auth, '/verify', token), await guard(users, '/users/me', token)]
        if (answers.every(answer => answer.status === 401 && answer.code === 'token_revoked')) refusedEverywhere++
      }
      t.equal(refusedEverywhere, revoked.length, `after the ${label} both services refuse every revoked token as revoked`)

      // The failure limit still counts (a count reset by the fault is acceptable).
      const stranger = await register()
      if (stranger === undefined) throw new Error(`could not register after the ${label}`)
      const failures: number[] = []
      for (let i = 0; i <= options.loginFailuresMax; i++) {
        failures.push((await call(`${auth.url}/sessions`, 'POST', { body: { email: stranger.email, password: 'wrong password, wrong' } })).status)
      }
      t.same(failures, [...Array(options.loginFailuresMax).fill(401), 429], `the log-in failure limit counts after the ${label}`)

      // Every registration answered 201 reaches the users service, and is applied exactly once.
      const sql = connectPostgres({ url: options.isolation.env.DATABASE_URL, schema: 'public', max: 1 })
      let profiles = 0
      try {
        const eventsDeadline = Date.now() + 15_000
        while (Date.now() < eventsDeadline) {
          const [row] = await sql.unsafe<Array<{ count: number }>>(`SELECT count(*)::int AS count FROM ${options.isolation.env.USERS_DATABASE_SCHEMA}.profiles WHERE id = ANY($1::uuid[])`, [registered])
          profiles = row?.count ?? 0
          if (profiles === registered.length) break
          await sleep(100)
        }
      } finally {
        await closePostgres(sql)
      }
      t.equal(profiles, registered.length, `a profile for each of the ${registered.length} accounts registered (before, during and after)`)
      const applied = users.output().split('\n').flatMap(line => {
        if (!line.startsWith('{')) return []
        const entry = JSON.parse(line) as { msg?: string, type?: string, outcome?: string, eventId?: string }
        return entry.msg === 'account event handled' && entry.type === 'account.created' && entry.outcome === 'applied' ? [entry.eventId] : []
      })
      t.equal(applied.length, registered.length, `each account.created applied once: redeliveries after the ${label} were recognised`)
      t.equal(new Set(applied).size, applied.length, 'no event id applied twice')

      t.comment(`${withinBound.size} token(s) accepted by a guard within ${options.maxStalenessSeconds} s of the log out, while Redis was away and that guard not yet stale (the bounded-staleness contract)`)
      t.comment(`load: ${registered.length} registrations, ${revoked.length} log outs, ${verifies.auth.length + verifies.users.length} guarded requests`)
    }
  }
}
