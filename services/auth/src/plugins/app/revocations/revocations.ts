/**
 * Revocation, durable first: each revocation is written to Postgres in the transaction of the
 * change that causes it, then published through the revocation feed (Redis: sorted sets that
 * expire with the access-token lifetime, plus pub/sub) and applied to this service's own view.
 * Redis is re-seeded from Postgres at start-up and whenever it comes back without its data;
 * entries whose publication failed are retried on the same timer.
 */
import fp from 'fastify-plugin'
import type { FastifyBaseLogger } from 'fastify'
import type { Sql, TransactionSql } from 'postgres'
import type { RevocationEntry, RevocationFeed, RevocationView } from '@latchkey/fastify-jwt-guard'
import { markSessionsRevoked } from '../sessions/sessions-repository.js'
import { raiseTokenVersion } from '../accounts/accounts-repository.js'

type Db = Sql | TransactionSql

export interface RevocationsOptions {
  sql: Sql
  feed: RevocationFeed
  view: RevocationView
  /** Access-token lifetime plus leeway: how long a revocation entry must be kept, seconds. */
  entryLifetimeSeconds: number
  log: FastifyBaseLogger
}

export function createRevocations (options: RevocationsOptions) {
  const { sql, feed, view, log } = options
  const lifetimeMs = (options.entryLifetimeSeconds + 1) * 1000
  let unpublished: RevocationEntry[] = []

  async function publish (entries: RevocationEntry[]): Promise<void> {
    if (entries.length === 0) return
    for (const entry of entries) view.apply(entry)
    try {
      await feed.publish(entries)
    } catch (error) {
      // Durable in Postgres already; the reseed timer publishes it once the feed is back.
      log.warn({ err: error, count: entries.length }, 'revocation not yet published; will retry')
      unpublished.push(...entries)
    }
  }

  async function loadAll (): Promise<RevocationEntry[]> {
    const rows = await sql<Array<{ kind: 'session' | 'account', subjectId: string, minTokenVersion: number | null, expiresAt: Date }>>`
      SELECT kind, subject_id, min_token_version::float8 AS min_token_version, expires_at FROM revocations WHERE expires_at > now()`
    return rows.map(row => row.kind === 'session'
      ? { kind: 'session', sid: row.subjectId, expiresAt: row.expiresAt.getTime() }
      : { kind: 'account', sub: row.subjectId, minVersion: row.minTokenVersion ?? 0, expiresAt: row.expiresAt.getTime() })
  }

  return {
    /** Revokes sessions inside `tx`; publish the returned entries after the commit. */
    async revokeSessions (tx: Db, where: Parameters<typeof markSessionsRevoked>[1], reason: string): Promise<RevocationEntry[]> {
      const ids = await markSessionsRevoked(tx, where, reason)
      if (ids.length === 0) return []
      const expiresAt = Date.now() + lifetimeMs
      await tx`
        INSERT INTO revocations (kind, subject_id, expires_at)
        SELECT 'session', id, ${new Date(expiresAt)} FROM unnest(${ids}::uuid[]) AS id`
      return ids.map(sid => ({ kind: 'session', sid, expiresAt }))
    },

    /**
     * Revokes every access token of the account issued until now, inside `tx`: the account's
     * token version goes up by one and every token below it is revoked. Tokens issued after the
     * commit read the new version (and the roles and status of the same row).
     */
    async revokeAccountTokens (tx: Db, accountId: string): Promise<RevocationEntry[]> {
      const minVersion = await raiseTokenVersion(tx, accountId)
      if (minVersion === undefined) return []
      const expiresAt = Date.now() + lifetimeMs
      await tx`INSERT INTO revocations (kind, subject_id, min_token_version, expires_at) VALUES ('account', ${accountId}, ${minVersion}, ${new Date(expiresAt)})`
      return [{ kind: 'account', sub: accountId, minVersion, expiresAt }]
    },

    publish,

    /** Re-seeds the feed when it lost its data, and retries failed publications. */
    async reconcile (): Promise<void> {
      if (!feed.isConnected()) return
      if (!await feed.isSeeded()) {
        const entries = await loadAll()
        await feed.publish(entries)
        await feed.markSeeded()
        unpublished = []
        log.info({ count: entries.length }, 'revocation feed seeded from the database')
        return
      }
      if (unpublished.length > 0) {
        const retry = unpublished
        unpublished = []
        await publish(retry)
      }
    },

    async deleteExpired (): Promise<void> {
      await sql`DELETE FROM revocations WHERE expires_at < now() - interval '1 minute'`
    }
  }
}

export type Revocations = ReturnType<typeof createRevocations>

declare module 'fastify' {
  interface FastifyInstance { revocations: Revocations }
}

export default fp(async function revocations (app, options: Omit<RevocationsOptions, 'log'> & { reconcileEveryMs?: number }) {
  const revocations = createRevocations({ ...options, log: app.log })
  app.decorate('revocations', revocations)
  const tick = (): void => {
    revocations.reconcile().catch(error => { app.log.warn({ err: error }, 'revocation reconcile failed') })
  }
  // Rows whose tokens can no longer be live are dropped once a minute, so the table (and a
  // re-seed) stays the size of one access-token lifetime of revocations.
  const sweep = (): void => {
    revocations.deleteExpired().catch(error => { app.log.warn({ err: error }, 'expired revocations not deleted') })
  }
  let timer: NodeJS.Timeout | undefined
  let sweeper: NodeJS.Timeout | undefined
  app.addHook('onReady', async () => {
    await revocations.reconcile().catch(error => { app.log.warn({ err: error }, 'revocation seeding deferred') })
    await revocations.deleteExpired()
    timer = setInterval(tick, options.reconcileEveryMs ?? 2000)
    timer.unref()
    sweeper = setInterval(sweep, 60_000)
    sweeper.unref()
  })
  app.addHook('onClose', async () => {
    clearInterval(timer)
    clearInterval(sweeper)
  })
}, { name: 'revocations' })
