/**
 * The Ed25519 keys access tokens are signed with. Generated at first start and kept in this
 * service's schema (under an advisory lock, so replicas starting together share one key), or
 * given as JWT_PRIVATE_KEY. The kid is the key's RFC 7638 thumbprint.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto'
import { calculateJwkThumbprint } from 'jose'
import type { Sql } from 'postgres'
import type { Jwk, Jwks } from '@latchkey/contracts'

export interface SigningKey {
  kid: string
  privateKey: KeyObject
  jwk: Jwk
}

async function toSigningKey (privateKey: KeyObject): Promise<SigningKey> {
  const exported = createPublicKey(privateKey).export({ format: 'jwk' })
  if (exported.kty !== 'OKP' || exported.crv !== 'Ed25519' || typeof exported.x !== 'string') {
    throw new Error('The signing key must be an Ed25519 key')
  }
  const kid = await calculateJwkThumbprint({ kty: 'OKP', crv: 'Ed25519', x: exported.x })
  return { kid, privateKey, jwk: { kty: 'OKP', crv: 'Ed25519', x: exported.x, kid, alg: 'EdDSA', use: 'sig' } }
}

/**
 * Loads the signing key, generating it if there is none. The query skips rows whose retired_at
 * lies more than one access-token lifetime back; nothing in the service sets retired_at.
 */
export async function loadSigningKeys (sql: Sql, options: { privateKeyPem?: string | undefined, accessTokenTtl: number }): Promise<{ current: SigningKey, jwks: Jwks }> {
  if (options.privateKeyPem !== undefined) {
    const current = await toSigningKey(createPrivateKey(options.privateKeyPem))
    return { current, jwks: { keys: [current.jwk] } }
  }
  const rows = await sql.begin(async tx => {
    await tx`SELECT pg_advisory_xact_lock(hashtext('latchkey-signing-keys'))`
    const existing = await tx<Array<{ privateKeyPem: string }>>`
      SELECT private_key_pem FROM signing_keys
      WHERE retired_at IS NULL OR retired_at > now() - make_interval(secs => ${options.accessTokenTtl})
      ORDER BY retired_at IS NULL DESC, created_at DESC`
    if (existing.length > 0) return existing
    const { privateKey } = generateKeyPairSync('ed25519')
    const key = await toSigningKey(privateKey)
    const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString()
    await tx`INSERT INTO signing_keys (kid, private_key_pem) VALUES (${key.kid}, ${pem})`
    return [{ privateKeyPem: pem }]
  })
  const keys = await Promise.all(rows.map(async row => await toSigningKey(createPrivateKey(row.privateKeyPem))))
  const current = keys[0]
  if (current === undefined) throw new Error('no signing key')
  return { current, jwks: { keys: keys.map(key => key.jwk) } }
}
