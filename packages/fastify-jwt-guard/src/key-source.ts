/**
 * Where the verifier finds the public key for a `kid`, the error for "cannot tell right now",
 * and the one JWK importer every source uses: only Ed25519 public keys are accepted, anything else in a JWKS is ignored.
 */
import { createPublicKey, type KeyObject } from 'node:crypto'

export interface KeySource {
  /**
   * Synchronous for a known kid (the hot path); may go async to refetch for an unknown one.
   * undefined: no such key. Rejects with KeysUnavailableError when the key set cannot be fetched.
   */
  getKey (kid: string): KeyObject | undefined | Promise<KeyObject | undefined>
  /**
   * Whether the latest key set still lists `kid`, without fetching: a cached token whose key was
   * withdrawn from the JWKS is refused from then on.
   */
  hasKey (kid: string): boolean
  /**
   * The key set is known to have changed (a signing key was withdrawn, so its replacement signs
   * from now on): refetch now, and let the next unknown kid refetch at once whatever the rate
   * limit, since the replacement's first tokens may arrive before the issuer publishes it here.
   */
  keySetChanged? (): void
  close? (): void
}

/** The key set cannot be fetched right now: whether the kid exists is unknown. */
export class KeysUnavailableError extends Error {
  constructor () {
    super('the signing keys cannot be fetched')
    this.name = 'KeysUnavailableError'
  }
}

/** kid → public key, from a JWKS-shaped value of unknown trust. */
export function importJwks (jwks: unknown): Map<string, KeyObject> {
  const keys = new Map<string, KeyObject>()
  if (typeof jwks !== 'object' || jwks === null) return keys
  const list: unknown = (jwks as { keys?: unknown }).keys
  if (!Array.isArray(list)) return keys
  for (const jwk of list) {
    if (typeof jwk !== 'object' || jwk === null) continue
    const { kty, crv, alg, use, kid, x } = jwk as Record<string, unknown>
    if (kty !== 'OKP' || crv !== 'Ed25519' || typeof kid !== 'string' || typeof x !== 'string') continue
    if (alg !== undefined && alg !== 'EdDSA') continue
    if (use !== undefined && use !== 'sig') continue
    try {
      // Only the public members are passed on: a stray private `d` must not make this a private key.
      keys.set(kid, createPublicKey({ key: { kty, crv, x }, format: 'jwk' }))
    } catch {
      // Not a valid Ed25519 point: ignored like any other unusable key.
    }
  }
  return keys
}
