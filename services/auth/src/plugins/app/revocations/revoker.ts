/**
 * Revocation, durable first: each revocation is written to PostgreSQL in the transaction of the
 * change that causes it (before any answer), applied to this service's own view after the
 * commit, and relayed from the table to the revocation feed (Redis, or in process): a row is
 * marked published only after the feed acknowledged it, so nothing depends on this process
 * surviving. The relay also re-seeds a feed that lost its data, and sends the heartbeat that
 * keeps every guard fresh, but only while no durable revocation is waiting to be relayed.
 */
import fp from 'fastify-plugin'
import type { FastifyBaseLogger } from 'fastify'
import type { Sql, TransactionSql } from 'postgres'
import type { RevocationEntry, RevocationPublisher } from '@latchkey/contracts'
import type { RevocationView } from '@latchkey/fastify-jwt-guard'
import { markSessionsRevoked } from '../sessions/sessions-repository.js'
import { raiseTokenVersion } from '../accounts/accounts-repository.js'

type Db = Sql | TransactionSql

/** How often the relay runs (and so the heartbeat rate); guards allow REVOCATION_MAX_STALENESS ≥ 1 s. */
const RELAY_INTERVAL_MS = 250
/** How long an answer waits for the relay after its commit: the durable row is the promise, this only makes the usual case immediate. */
const PUBLISH_WAIT_MS = 1_000
const BATCH_SIZE = 500

interface RevocationRow { id: string, kind: 'session' | 'account' | 'key', subjectId: string | null, kid: string | null, minTokenVersion: number | null, expiresAt: Date }

function toEntry (row: RevocationRow): RevocationEntry {
  const expiresAt = row.expiresAt.getTime()
  if (row.kind === 'key') return { kind: 'key', kid: row.kid ?? '', expiresAt }
  return row.kind === 'session'
    ? { kind: 'session', sid: row.subjectId ?? '', expiresAt }
    : { kind: 'account', sub: row.subjectId ?? '', minVersion: row.minTokenVersion ?? 0, expiresAt }
}

export interface RevokerOptions {
  sql: Sql
  /** The store every guard's feed reads: Redis, or in process. */
  publisher: RevocationPublisher
  view: RevocationView
  /** Access-token lifetime plus the largest leeway any guard may allow: how long a revocation entry must be kept, seconds. */
  entryLifetimeSeconds: number
  log: FastifyBaseLogger
}

export function createRevoker (options: RevokerOptions) {
  const { sql, publisher, view, log } = options
  const lifetimeMs = (options.entryLifetimeSeconds + 1) * 1000
  let running: Promise<void> | undefined
  let again = false
  /** The store's epoch as last seen; forgotten when a heartbeat is refused (emptied or re-seeded store). */
  let knownEpoch: string | undefined

  async function loadLive (): Promise<RevocationEntry[]> {
    const rows = await sql<RevocationRow[]>`
      SELECT id, kind, subject_id, kid, min_token_version::float8 AS min_token_version, expires_at FROM revocations WHERE expires_at > now()`
    return rows.map(toEntry)
  }

  /** The store's epoch; a store that lost its data (or never had any) is seeded from the table first. */
  async function seededEpoch (): Promise<string> {
    const epoch = await publisher.currentEpoch()
    if (epoch !== undefined) return epoch
    const entries = await loadLive()
    const seeded = await publisher.seed(entries)
    log.info({ count: entries.length }, 'revocation feed seeded from the database')
    return seeded
  }

  /**
   * Relays one batch of unpublished rows; a row stays unpublished unless the feed took it. No
   * transaction is held across the Redis call (a black-holed Redis must not pin a connection);
   * two replicas may then relay one row twice, which the feed's idempotent writes absorb.
   */
  async function relayBatch (): Promise<number> {
    const rows = await sql<RevocationRow[]>`
      SELECT id, kind, subject_id, kid, min_token_version::float8 AS min_token_version, expires_at FROM revocations
      WHERE published_at IS NULL ORDER BY id LIMIT ${BATCH_SIZE}`
    if (rows.length === 0) return 0
    await publisher.publish(rows.map(toEntry))
    await sql`UPDATE revocations SET published_at = now() WHERE id = ANY(${rows.map(row => row.id)}::bigint[]) AND published_at IS NULL`
    return rows.length
  }

  async function nothingPending (): Promise<boolean> {
    const [row] = await sql<Array<{ pending: boolean }>>`SELECT EXISTS (SELECT 1 FROM revocations WHERE published_at IS NULL) AS pending`
    return row?.pending === false
  }

  /** An idle pass is two round trips (one query, one script), so heartbeats keep up under load. */
  async function relayOnce (): Promise<void> {
    knownEpoch ??= await seededEpoch()
    if (!await nothingPending()) {
      while (await relayBatch() === BATCH_SIZE) { /* keep draining full batches */ }
      if (!await nothingPending()) return
    }
    // The heartbeat vouches for "every committed revocation is in the store of this epoch".
    if (!await publisher.heartbeat(knownEpoch)) {
      knownEpoch = undefined
      log.warn('revocation feed holds another epoch (re-seeded elsewhere, or emptied); no heartbeat this round')
    }
  }

  /** One relay pass; concurrent calls coalesce into one more pass. */
  async function relay (): Promise<void> {
    if (running !== undefined) {
      again = true
      await running
      return
    }
    running = (async () => {
      do {
        again = false
        await relayOnce()
        // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- relay() sets it while this pass awaits
      } while (again)
    })().finally(() => { running = undefined })
    await running
  }

  return {
    /** Revokes sessions inside `tx`; call publish with the returned entries after the commit. */
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

    /**
     * After the commit: this service refuses the tokens at once, and the relay carries the rows
     * to every other guard. Never fails: the rows are durable and the relay timer retries.
     */
    async publish (entries: RevocationEntry[]): Promise<void> {
      if (entries.length === 0) return
      for (const entry of entries) view.apply(entry)
      let timer: NodeJS.Timeout | undefined
      const waited = new Promise<void>(resolve => { timer = setTimeout(resolve, PUBLISH_WAIT_MS) })
      const relayed = relay().catch((error: unknown) => {
        log.warn({ err: error, count: entries.length }, 'revocation not yet relayed; the relay retries')
      })
      await Promise.race([relayed, waited])
      clearTimeout(timer)
    },

    relay,

    /** Resolves once no relay pass is running (closing waits for it before the pool ends). */
    async idle (): Promise<void> {
      await running?.catch(() => {})
    },

    async deleteExpired (): Promise<void> {
      await sql`DELETE FROM revocations WHERE expires_at < now() - interval '1 minute'`
    }
  }
}

export type Revoker = ReturnType<typeof createRevoker>

declare module 'fastify' {
  /** app.revocations is the guard's read-only view, as in every service; this is what writes to it. */
  interface FastifyInstance { revoker: Revoker }
}

export default fp(async function revoker (app, options: Omit<RevokerOptions, 'log'>) {
  const revoker = createRevoker({ ...options, log: app.log })
  app.decorate('revoker', revoker)
  let failing = false
  const tick = (): void => {
    revoker.relay().then(() => {
      if (failing) app.log.info('revocation relay recovered')
      failing = false
    }, (error: unknown) => {
      // Logged once per outage, not four times a second.
      if (!failing) app.log.warn({ err: error }, 'revocation relay failing; guards go stale until it recovers')
      failing = true
    })
  }
  // Rows whose tokens can no longer be live are dropped once a minute, so the table (and a
  // re-seed) stays the size of one access-token lifetime of revocations.
  const sweep = (): void => {
    revoker.deleteExpired().catch((error: unknown) => { app.log.warn({ err: error }, 'expired revocations not deleted') })
  }
  let timer: NodeJS.Timeout | undefined
  let sweeper: NodeJS.Timeout | undefined
  app.addHook('onReady', async () => {
    await revoker.relay().catch((error: unknown) => { app.log.warn({ err: error }, 'revocation relay deferred') })
    await revoker.deleteExpired()
    timer = setInterval(tick, RELAY_INTERVAL_MS)
    timer.unref()
    sweeper = setInterval(sweep, 60_000)
    sweeper.unref()
  })
  app.addHook('onClose', async () => {
    clearInterval(timer)
    clearInterval(sweeper)
    await revoker.idle()
  })
}, { name: 'revoker' })
