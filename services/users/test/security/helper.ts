/**
 * The users service's own pieces of its attack tests: a snapshot of every row a request could
 * change and a key the test adds to the trusted set (to sign tokens that break exactly one rule).
 * The assertions, payloads and forged-token catalogue shared with the auth suite are in
 * test-support.
 */
import { generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto'
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
