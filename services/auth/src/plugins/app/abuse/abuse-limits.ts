/**
 * Abuse limits of the open routes, shared by every replica (ASVS 6.1.1, 6.3.1, 2.4.1):
 *
 * - Per client network on POST /accounts, /sessions and /sessions/refresh: RATE_LIMIT_IP_MAX
 *   requests per RATE_LIMIT_IP_WINDOW seconds; for IPv6 also RATE_LIMIT_IPV6_48_MAX per /48.
 * - Failed log-ins per (email, network): after LOGIN_FAILURES_MAX failures within 15 minutes each
 *   further failure blocks that pair for 1, 2, 4 … seconds, capped at 15 minutes. A password
 *   check is counted before it runs (`checkPassword`), so concurrent guesses cannot overrun the
 *   limit; a check that succeeds or cannot run hands its count back.
 * - Failed log-ins per email from all networks: the same, from 10 × LOGIN_FAILURES_MAX failures
 *   (under NIST's 100). Networks the account logged in from successfully in the last 30 days are
 *   exempt from this one, so an attacker elsewhere cannot keep the real user out.
 * - Registration attempts that hit an existing email count like failed log-ins per network.
 * - The password checks of the account's own routes (email and password change, deletion) count
 *   as log-ins of that account.
 *
 * A limit that cannot be checked (Redis away) answers 503: log in never runs unlimited.
 */
import { createHash, randomUUID } from 'node:crypto'
import fp from 'fastify-plugin'
import type { FastifyReply, FastifyRequest, onRequestAsyncHookHandler } from 'fastify'
import { HttpProblem } from '@latchkey/fastify-problem'
import { normalizeEmail } from '../accounts/accounts-repository.js'
import { clientNetwork, clientSite } from './client-network.js'
import type { CounterStore, FailureLimit } from './counter-store.js'

const FAILURE_WINDOW_MS = 15 * 60 * 1000
const MAX_BLOCK_MS = 15 * 60 * 1000
const KNOWN_NETWORK_MS = 30 * 24 * 60 * 60 * 1000
const GLOBAL_FACTOR = 10

export interface AbuseLimitOptions {
  store: CounterStore
  ipMax: number
  ipWindowSeconds: number
  /** Requests per IPv6 /48 in the same window. */
  ip48Max: number
  loginFailuresMax: number
}

function rateLimited (retryAfterMs: number, policy: string, detail: string): HttpProblem {
  const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000))
  return new HttpProblem(429, 'rate_limited', detail, {
    headers: { 'retry-after': String(seconds), 'ratelimit-policy': policy, ratelimit: `"${policyName(policy)}";r=0;t=${seconds}` }
  })
}

const hashed = (part: string): string => createHash('sha256').update(part).digest('base64url')

/**
 * A counter's name: its kind, then each part hashed. Emails and IPv6 networks contain `:`, so
 * joined as text `victim@x.io:203.0.113.7` (an email) would spell the victim's (email, network)
 * key; hashes cannot, and keep addresses out of Redis key names.
 */
export function counterKey (kind: string, ...parts: string[]): string {
  return [kind, ...parts.map(hashed)].join(':')
}

/**
 * The name of a counter checked in one script with others of the same subject (an account's
 * failure counters, blocks and known networks; a network's registration limit): the subject's
 * part in braces, which the Redis store makes the hash tag in Cluster mode, so these keys share a
 * slot, and drops elsewhere, so the name equals counterKey's. Counters of other subjects spread
 * over the cluster's slots.
 */
function subjectKey (kind: string, subject: string, ...parts: string[]): string {
  return [kind, `{${hashed(subject)}}`, ...parts.map(hashed)].join(':')
}

function policyName (policy: string): string {
  return /^"([^"]+)"/.exec(policy)?.[1] ?? 'default'
}

export function createAbuseLimits (options: AbuseLimitOptions) {
  const { store } = options
  const globalMax = options.loginFailuresMax * GLOBAL_FACTOR
  const ipPolicy = `"ip";q=${options.ipMax};w=${options.ipWindowSeconds}`
  const sitePolicy = `"ip48";q=${options.ip48Max};w=${options.ipWindowSeconds}`
  const loginPolicy = `"login";q=${options.loginFailuresMax};w=${FAILURE_WINDOW_MS / 1000}`

  /** Store failures become 503: a limit that cannot be checked is not skipped. */
  async function guarded<T> (operation: () => Promise<T>): Promise<T> {
    try {
      return await operation()
    } catch (error) {
      if (error instanceof HttpProblem) throw error
      throw new HttpProblem(503, 'service_unavailable', 'Abuse limits cannot be checked right now; retry shortly', { headers: { 'retry-after': '1' } })
    }
  }

  /** The (email, network) pair's limit and the email's, from which the account's known networks are exempt. */
  function loginLimits (email: string, network: string): { pair: FailureLimit, limits: FailureLimit[], known: string } {
    const account = normalizeEmail(email)
    const known = subjectKey('login-known', account)
    const pair = { counter: subjectKey('login-fail', account, network), block: subjectKey('login-block', account, network), threshold: options.loginFailuresMax }
    const perEmail = { counter: subjectKey('login-fail', account), block: subjectKey('login-block', account), threshold: globalMax, exempt: { set: known, member: network } }
    return { pair, limits: [pair, perEmail], known }
  }

  async function reserve (limits: FailureLimit[], token: string, detail: string): Promise<void> {
    const blocked = await guarded(async () => await store.reserve({ limits, token, windowMs: FAILURE_WINDOW_MS, maxBlockMs: MAX_BLOCK_MS }))
    if (blocked > 0) throw rateLimited(blocked, loginPolicy, detail)
  }

  return {
    /** onRequest hook for an open POST route: counts the request against its network's budget. */
    perNetwork (route: string): onRequestAsyncHookHandler {
      return async (request: FastifyRequest, reply: FastifyReply) => {
        const network = clientNetwork(request.ip)
        const site = clientSite(request.ip)
        const windowMs = options.ipWindowSeconds * 1000
        const [{ count, resetInMs }, siteCount] = await guarded(async () => await Promise.all([
          store.hit(counterKey('ip', route, network), windowMs),
          site === undefined ? undefined : store.hit(counterKey('ip48', route, site), windowMs)
        ]))
        const reset = Math.max(1, Math.ceil(resetInMs / 1000))
        void reply.header('ratelimit-policy', ipPolicy)
        void reply.header('ratelimit', `"ip";r=${Math.max(0, options.ipMax - count)};t=${reset}`)
        if (count > options.ipMax) throw rateLimited(resetInMs, ipPolicy, 'Too many requests from this network; retry later')
        if (siteCount !== undefined && siteCount.count > options.ip48Max) {
          throw rateLimited(siteCount.resetInMs, sitePolicy, 'Too many requests from this network; retry later')
        }
      }
    },

    /**
     * Runs one check of an account's password under the failed-log-in limits; `check` answers
     * what the check yields, or undefined when it failed. 429 while (email, network) or, for a
     * network the account never logged in from, the email is blocked. The check is counted before
     * it runs, in the same atomic step as the block test; one that fails stays counted, one that
     * passes clears its pair and makes the network known, one that throws (no verdict: overload,
     * database away) is undone.
     */
    async checkPassword<T> (email: string, ip: string, check: () => Promise<T | undefined>): Promise<T | undefined> {
      const network = clientNetwork(ip)
      const { pair, limits, known } = loginLimits(email, network)
      const token = randomUUID()
      await reserve(limits, token, 'Too many failed log-ins; retry later')
      let result: T | undefined
      try {
        result = await check()
      } catch (error) {
        await store.release({ limits, token }).catch(() => {})
        throw error
      }
      if (result !== undefined) {
        await guarded(async () => {
          await store.release({ limits, token, clear: [pair.counter, pair.block], remember: { set: known, member: network, ttlMs: KNOWN_NETWORK_MS } })
        })
      }
      return result
    },

    /** A password reset proved the owner: the account-wide block (and that of the owner's network) ends. */
    async clearLoginFailures (email: string, ip?: string): Promise<void> {
      const account = normalizeEmail(email)
      const pair = ip === undefined ? [] : [subjectKey('login-fail', account, clientNetwork(ip)), subjectKey('login-block', account, clientNetwork(ip))]
      const clear = [subjectKey('login-fail', account), subjectKey('login-block', account), ...pair]
      await guarded(async () => { await store.release({ limits: [], token: '', clear }) })
    },

    async assertRegistrationAllowed (ip: string): Promise<void> {
      const network = clientNetwork(ip)
      await guarded(async () => {
        const blocked = await store.blockedFor(subjectKey('register-block', network))
        if (blocked > 0) throw rateLimited(blocked, loginPolicy, 'Too many registration attempts; retry later')
      })
    },

    /**
     * A registration that hit an existing email: probing for accounts counts like a failed log-in
     * of the network, counted and checked against its block in one step, so 429 once blocked.
     */
    async recordRegistrationConflict (ip: string): Promise<void> {
      const network = clientNetwork(ip)
      const limits = [{ counter: subjectKey('register-fail', network), block: subjectKey('register-block', network), threshold: options.loginFailuresMax }]
      await reserve(limits, randomUUID(), 'Too many registration attempts; retry later')
    }
  }
}

export type AbuseLimits = ReturnType<typeof createAbuseLimits>

declare module 'fastify' {
  interface FastifyInstance { abuseLimits: AbuseLimits }
}

export default fp(async function abuseLimits (app, options: AbuseLimitOptions) {
  app.decorate('abuseLimits', createAbuseLimits(options))
}, { name: 'abuse-limits' })
