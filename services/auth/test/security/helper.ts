/**
 * The auth service's own pieces of its attack tests: an app tuned for many requests (cheap argon2,
 * limits out of the way), a snapshot of every row a request could change, and its signing key.
 * The assertions, payloads and forged-token catalogue shared with the users suite are in
 * test-support.
 */
import type { KeyObject } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import type { Sql } from 'postgres'

/** Cheap argon2 and limits high enough that a fuzz run never meets them (they are tested elsewhere). */
export const attackEnv: Record<string, string> = {
  RATE_LIMIT_IP_MAX: '100000',
  LOGIN_FAILURES_MAX: '100000',
  ARGON2_MEMORY_COST: '8192',
  ARGON2_TIME_COST: '1',
  PASSWORD_HASH_CONCURRENCY: '4'
}

/**
 * Every row of the auth schema a request could touch, as one comparable string. The relay's
 * published_at and the sweeper's bookkeeping are left out: they move on their own.
 */
export async function snapshot (sql: Sql): Promise<string> {
  const accounts = await sql`SELECT * FROM accounts ORDER BY id`
  const sessions = await sql`SELECT * FROM sessions ORDER BY id`
  const revocations = await sql`SELECT kind, subject_id, min_token_version, expires_at FROM revocations ORDER BY id`
  const outbox = await sql`SELECT id, type, payload FROM outbox ORDER BY id`
  return JSON.stringify({ accounts, sessions, revocations, outbox })
}

/** The auth service's current signing key (sealed in its table, so taken from the app): to sign tokens that break only one rule. */
export async function serviceSigningKey (app: FastifyInstance): Promise<{ kid: string, privateKey: KeyObject }> {
  const { kid, privateKey } = app.signingKeys.signingKey()
  return { kid, privateKey }
}
