/**
 * The Ed25519 keys access tokens are signed with. Generated at first start and kept in this
 * service's schema sealed under SECRETS_KEY (under an advisory lock, so replicas starting
 * together share one key), or given as JWT_PRIVATE_KEY. The kid is the key's RFC 7638 thumbprint.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto'
import { calculateJwkThumbprint } from 'jose'
import type { Sql } from 'postgres'
import type { Jwk, Jwks } from '@latchkey/contracts'
import type { SecretBox } from '../secrets/secret-box.js'

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

const signingKeyContext = (kid: string): string => `signing-key:${kid}`

/** Opens a sealed private key; the envelope is bound to its kid and the key must match it. */
async function openSigningKey (box: SecretBox, kid: string, sealed: string): Promise<SigningKey> {
  const key = await toSigningKey(createPrivateKey({ key: box.open(sealed, signingKeyContext(kid)), format: 'der', type: 'pkcs8' }))
  if (key.kid !== kid) throw new Error(`signing key ${kid}: the sealed key has another thumbprint`)
  return key
}

function sealSigningKey (box: SecretBox, key: SigningKey): string {
  return box.seal(key.privateKey.export({ format: 'der', type: 'pkcs8' }), signingKeyContext(key.kid))
}

interface SigningKeyRow { kid: string, privateKeyPem: string | null, privateKeySealed: string | null }

/**
 * Loads the signing key, generating it if there is none, and seals the clear rows an earlier
 * version left (same key, so its tokens stay valid). The query skips rows whose retired_at lies
 * more than one access-token lifetime back; nothing in the service sets retired_at.
 */
export async function loadSigningKeys (sql: Sql, options: { privateKeyPem?: string | undefined, accessTokenTtl: number, box: SecretBox }): Promise<{ current: SigningKey, jwks: Jwks }> {
  if (options.privateKeyPem !== undefined) {
    const current = await toSigningKey(createPrivateKey(options.privateKeyPem))
    return { current, jwks: { keys: [current.jwk] } }
  }
  const { box } = options
  const keys = await sql.begin(async tx => {
    await tx`SELECT pg_advisory_xact_lock(hashtext('latchkey-signing-keys'))`
    const rows = await tx<SigningKeyRow[]>`
      SELECT kid, private_key_pem, private_key_sealed FROM signing_keys
      WHERE retired_at IS NULL OR retired_at > now() - make_interval(secs => ${options.accessTokenTtl})
      ORDER BY retired_at IS NULL DESC, created_at DESC`
    if (rows.length === 0) {
      const key = await toSigningKey(generateKeyPairSync('ed25519').privateKey)
      await tx`INSERT INTO signing_keys (kid, private_key_sealed) VALUES (${key.kid}, ${sealSigningKey(box, key)})`
      return [key]
    }
    return await Promise.all(rows.map(async row => {
      if (row.privateKeySealed !== null) return await openSigningKey(box, row.kid, row.privateKeySealed)
      const key = await toSigningKey(createPrivateKey(row.privateKeyPem ?? ''))
      await tx`UPDATE signing_keys SET private_key_sealed = ${sealSigningKey(box, key)}, private_key_pem = NULL WHERE kid = ${row.kid}`
      return key
    }))
  })
  const current = keys[0]
  if (current === undefined) throw new Error('no signing key')
  return { current, jwks: { keys: keys.map(key => key.jwk) } }
}
