/**
 * The bench holds the auth service's signing key (JWT_PRIVATE_KEY), so it can mint valid access
 * tokens of the exact shape the service issues (access-tokens.ts): 100,000 distinct ones for
 * scenario 2, and one for a just-registered account in scenario 8 without a log-in in between.
 */
import { createPublicKey, generateKeyPairSync, randomUUID, sign, type KeyObject } from 'node:crypto'
import { calculateJwkThumbprint } from 'jose'

export interface BenchKey {
  privateKeyPem: string
  publicKeyPem: string
  privateKey: KeyObject
  kid: string
}

export async function generateBenchKey (): Promise<BenchKey> {
  const { privateKey } = generateKeyPairSync('ed25519')
  const jwk = createPublicKey(privateKey).export({ format: 'jwk' })
  const kid = await calculateJwkThumbprint({ kty: 'OKP', crv: 'Ed25519', x: jwk.x as string })
  return {
    privateKeyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    publicKeyPem: createPublicKey(privateKey).export({ format: 'pem', type: 'spki' }).toString(),
    privateKey,
    kid
  }
}

export function mintAccessToken (key: BenchKey, claims: { issuer: string, audience: string, sub?: string, sid?: string, ttlSeconds: number }): string {
  const header = Buffer.from(JSON.stringify({ alg: 'EdDSA', typ: 'at+jwt', kid: key.kid })).toString('base64url')
  const iat = Math.floor(Date.now() / 1000)
  const payload = {
    iss: claims.issuer,
    sub: claims.sub ?? randomUUID(),
    aud: claims.audience,
    exp: iat + claims.ttlSeconds,
    iat,
    jti: randomUUID(),
    sid: claims.sid ?? randomUUID(),
    roles: ['user']
  }
  const signingInput = `${header}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`
  return `${signingInput}.${sign(null, Buffer.from(signingInput), key.privateKey).toString('base64url')}`
}
