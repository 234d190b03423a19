/**
 * Shared pieces of the users service's attack tests: a snapshot of every row a request could
 * change, the assertions every refused attack must pass, a key the test adds to the trusted set
 * (to sign tokens that break exactly one rule), and the forged-token catalogue (jwt_tool,
 * RFC 8725, ASVS V9) comes from test-support, shared with the auth suite.
 */
import { generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto'
import type { Test } from 'tap'
import type { LightMyRequestResponse } from 'fastify'
import type { Sql } from 'postgres'
import type { Jwk } from '@latchkey/contracts'
import type { StaticKeySource } from '@latchkey/fastify-jwt-guard'
import { decodePart } from '@latchkey/test-support'
import type { UsersWorld } from '../helper.js'

/** Every row of the users schema a request could touch, as one comparable string. */
export async function snapshot (sql: Sql): Promise<string> {
  const profiles = await sql`SELECT * FROM profiles ORDER BY id`
  const processed = await sql`SELECT * FROM processed_events ORDER BY event_id`
  const deleted = await sql`SELECT * FROM deleted_accounts ORDER BY id`
  return JSON.stringify({ profiles, processed, deleted })
}

/** One profile row, every column. */
export async function profileRow (sql: Sql, id: string): Promise<string> {
  return JSON.stringify(await sql`SELECT * FROM profiles WHERE id = ${id}`)
}

/**
 * The world's trusted public key (as its JWKS would publish it), and a second Ed25519 key the
 * test generates and adds to the trusted set, to sign tokens that break exactly one other rule.
 */
export async function trustedKeys (world: UsersWorld): Promise<{ kid: string, publicKey: KeyObject, testKid: string, testKey: KeyObject }> {
  const kid = String(decodePart(await world.token(), 0).kid)
  const publicKey = await world.keySource.getKey(kid)
  if (publicKey === undefined) throw new Error('the world key is not in its key source')
  const keySource = world.keySource as Partial<StaticKeySource>
  if (keySource.setKeys === undefined) throw new Error('the key source is not static')
  const pair = generateKeyPairSync('ed25519')
  const testKid = `security-test-${randomUUID()}`
  const jwk = (key: KeyObject, id: string): Jwk => ({ kty: 'OKP', crv: 'Ed25519', x: String(key.export({ format: 'jwk' }).x), kid: id, alg: 'EdDSA', use: 'sig' })
  keySource.setKeys({ keys: [jwk(publicKey, kid), jwk(pair.publicKey, testKid)] })
  return { kid, publicKey, testKid, testKey: pair.privateKey }
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
