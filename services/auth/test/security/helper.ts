/**
 * Shared pieces of the auth service's attack tests: an app tuned for many requests (cheap argon2,
 * limits out of the way), a snapshot of every row a request could change, the assertions every
 * refused attack must pass, and the forged-token catalogue (jwt_tool, RFC 8725, ASVS V9).
 */
import { createPrivateKey, type KeyObject } from 'node:crypto'
import type { Test } from 'tap'
import type { LightMyRequestResponse } from 'fastify'
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
  const revocations = await sql`SELECT kind, subject_id, not_before, expires_at FROM revocations ORDER BY id`
  const outbox = await sql`SELECT id, type, payload FROM outbox ORDER BY id`
  return JSON.stringify({ accounts, sessions, revocations, outbox })
}

/** A refused request: a 4xx, RFC 9457 problem+json with a stable code, no stack or SQL in the body. */
export function assertRefused (t: Test, response: LightMyRequestResponse, label: string, status?: number): void {
  const diagnostic = { body: response.body.slice(0, 500) }
  if (status === undefined) t.ok(response.statusCode >= 400 && response.statusCode < 500, `${label}: 4xx`, { statusCode: response.statusCode, ...diagnostic })
  else t.equal(response.statusCode, status, `${label}: ${status}`, diagnostic)
  t.match(response.headers['content-type'], /^application\/problem\+json/, `${label}: problem+json`)
  const body = response.json<{ code?: unknown, status?: unknown }>()
  t.type(body.code, 'string', `${label}: a code`)
  t.equal(body.status, response.statusCode, `${label}: status in the body`)
  t.notMatch(response.body, /(at \w+ \(|node_modules|SELECT |INSERT |UPDATE |syntax error|postgres)/i, `${label}: no internals`)
}

/** Never a 5xx; a 4xx is problem+json. */
export function assertNoServerError (t: Test, response: LightMyRequestResponse, label: string): boolean {
  if (response.statusCode >= 500) {
    t.fail(`${label}: ${response.statusCode} ${response.body.slice(0, 300)}`)
    return false
  }
  if (response.statusCode >= 400 && !/^application\/problem\+json/.test(String(response.headers['content-type']))) {
    t.fail(`${label}: ${response.statusCode} without problem+json`)
    return false
  }
  return true
}

/** The classic SQL-injection strings (sqlmap, OWASP testing guide, jwt_tool kid payloads). */
export const sqlInjectionPayloads: readonly string[] = [
  "' OR '1'='1",
  "' OR 1=1 --",
  "' OR ''='",
  "admin'--",
  "'; DROP TABLE accounts; --",
  "'; DROP TABLE profiles; --",
  "1; SELECT pg_sleep(5)--",
  "' UNION SELECT NULL, NULL, NULL --",
  "' UNION SELECT password_hash FROM accounts --",
  '" OR "1"="1',
  "') OR ('1'='1",
  "1' AND (SELECT 1 FROM pg_sleep(5)) --",
  "%' OR '1'='1",
  '\\\'; SELECT 1; --',
  "$$; DROP SCHEMA public CASCADE; $$",
  "'||(SELECT version())||'",
  "1)) OR 1=1 --",
  "x' AND extractvalue(1,concat(0x7e,version())) --"
]

/** The auth service's current signing key, read from its own table: to sign tokens that break only one rule. */
export async function serviceSigningKey (sql: Sql): Promise<{ kid: string, privateKey: KeyObject }> {
  const [row] = await sql<Array<{ kid: string, privateKeyPem: string }>>`SELECT kid, private_key_pem FROM signing_keys WHERE retired_at IS NULL ORDER BY created_at DESC LIMIT 1`
  if (row === undefined) throw new Error('no signing key')
  return { kid: row.kid, privateKey: createPrivateKey(row.privateKeyPem) }
}
