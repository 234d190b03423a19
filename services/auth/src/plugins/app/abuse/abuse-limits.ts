/**
 * Abuse limits of the open routes, shared by every replica (ASVS 6.1.1, 6.3.1, 2.4.1):
 *
 * - Per client network on POST /accounts, /sessions and /sessions/refresh: RATE_LIMIT_IP_MAX
 *   requests per RATE_LIMIT_IP_WINDOW seconds.
 * - Failed log-ins per (email, network): after LOGIN_FAILURES_MAX failures within 15 minutes each
 *   further failure blocks that pair for 1, 2, 4 … seconds, capped at 15 minutes.
 * - Failed log-ins per email from all networks: the same, from 10 × LOGIN_FAILURES_MAX failures
 *   (under NIST's 100). Networks the account logged in from successfully in the last 30 days are
 *   exempt from this one, so an attacker elsewhere cannot keep the real user out.
 * - Registration attempts that hit an existing email count like failed log-ins per network.
 *
 * A limit that cannot be checked (Redis away) answers 503: log in never runs unlimited.
 */
import { createHash } from 'node:crypto'
import fp from 'fastify-plugin'
import type { FastifyReply, FastifyRequest, onRequestAsyncHookHandler } from 'fastify'
import { HttpProblem } from '@latchkey/fastify-problem'
import { normalizeEmail } from '../accounts/accounts-repository.js'
import { clientNetwork } from './client-network.js'
import type { CounterStore } from './counter-store.js'

const FAILURE_WINDOW_MS = 15 * 60 * 1000
const MAX_BLOCK_MS = 15 * 60 * 1000
const KNOWN_NETWORK_MS = 30 * 24 * 60 * 60 * 1000
const GLOBAL_FACTOR = 10

export interface AbuseLimitOptions {
  store: CounterStore
  ipMax: number
  ipWindowSeconds: number
  loginFailuresMax: number
}

function rateLimited (retryAfterMs: number, policy: string, detail: string): HttpProblem {
  const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000))
  return new HttpProblem(429, 'rate_limited', detail, {
    headers: { 'retry-after': String(seconds), 'ratelimit-policy': policy, ratelimit: `"${policyName(policy)}";r=0;t=${seconds}` }
  })
}

/**
 * A counter's name: its kind, then each part hashed. Emails and IPv6 networks contain `:`, so
 * joined as text `victim@x.io:203.0.113.7` (an email) would spell the victim's (email, network)
 * key; hashes cannot, and keep addresses out of Redis key names.
 */
function counterKey (kind: string, ...parts: string[]): string {
  return [kind, ...parts.map(part => createHash('sha256').update(part).digest('base64url'))].join(':')
}

function policyName (policy: string): string {
  return /^"([^"]+)"/.exec(policy)?.[1] ?? 'default'
}

/** Exponential, capped: the k-th failure past the threshold blocks for 2^k seconds. */
function blockMs (failures: number, threshold: number): number {
  return Math.min(MAX_BLOCK_MS, 1000 * 2 ** Math.min(30, failures - threshold))
}

export function createAbuseLimits (options: AbuseLimitOptions) {
  const { store } = options
  const globalMax = options.loginFailuresMax * GLOBAL_FACTOR
  const ipPolicy = `"ip";q=${options.ipMax};w=${options.ipWindowSeconds}`
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

  async function failure (key: string, blockKey: string, threshold: number): Promise<void> {
    const { count } = await store.hit(key, FAILURE_WINDOW_MS)
    if (count >= threshold) await store.block(blockKey, blockMs(count, threshold))
  }

  return {
    /** onRequest hook for an open POST route: counts the request against its network's budget. */
    perNetwork (route: string): onRequestAsyncHookHandler {
      return async (request: FastifyRequest, reply: FastifyReply) => {
        const network = clientNetwork(request.ip)
        const { count, resetInMs } = await guarded(async () => await store.hit(counterKey('ip', route, network), options.ipWindowSeconds * 1000))
        const reset = Math.max(1, Math.ceil(resetInMs / 1000))
        void reply.header('ratelimit-policy', ipPolicy)
        void reply.header('ratelimit', `"ip";r=${Math.max(0, options.ipMax - count)};t=${reset}`)
        if (count > options.ipMax) throw rateLimited(resetInMs, ipPolicy, 'Too many requests from this network; retry later')
      }
    },

    /** Refuses a log-in attempt while its (email, network) pair or, for unknown networks, its email is blocked. */
    async assertLoginAllowed (email: string, ip: string): Promise<void> {
      const account = normalizeEmail(email)
      const network = clientNetwork(ip)
      await guarded(async () => {
        const pairBlock = await store.blockedFor(counterKey('login-block', account, network))
        if (pairBlock > 0) throw rateLimited(pairBlock, loginPolicy, 'Too many failed log-ins; retry later')
        const accountBlock = await store.blockedFor(counterKey('login-block', account))
        if (accountBlock > 0 && !await store.hasMember(counterKey('login-known', account), network)) {
          throw rateLimited(accountBlock, loginPolicy, 'Too many failed log-ins; retry later')
        }
      })
    },

    async recordLoginFailure (email: string, ip: string): Promise<void> {
      const account = normalizeEmail(email)
      const network = clientNetwork(ip)
      await guarded(async () => {
        await failure(counterKey('login-fail', account, network), counterKey('login-block', account, network), options.loginFailuresMax)
        await failure(counterKey('login-fail', account), counterKey('login-block', account), globalMax)
      })
    },

    async recordLoginSuccess (email: string, ip: string): Promise<void> {
      const account = normalizeEmail(email)
      const network = clientNetwork(ip)
      await guarded(async () => {
        await store.delete(counterKey('login-fail', account, network), counterKey('login-block', account, network))
        await store.addMember(counterKey('login-known', account), network, KNOWN_NETWORK_MS)
      })
    },

    async assertRegistrationAllowed (ip: string): Promise<void> {
      const network = clientNetwork(ip)
      await guarded(async () => {
        const blocked = await store.blockedFor(counterKey('register-block', network))
        if (blocked > 0) throw rateLimited(blocked, loginPolicy, 'Too many registration attempts; retry later')
      })
    },

    /** A registration that hit an existing email: probing for accounts counts like a failed log-in. */
    async recordRegistrationConflict (ip: string): Promise<void> {
      const network = clientNetwork(ip)
      await guarded(async () => { await failure(counterKey('register-fail', network), counterKey('register-block', network), options.loginFailuresMax) })
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
