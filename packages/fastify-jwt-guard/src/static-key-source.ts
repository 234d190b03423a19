/**
 * Keys given in process: the auth service verifies its own tokens with the keys it publishes.
 * setKeys replaces the whole set (tests use it to trust a key of their own).
 */
import type { Jwks } from '@latchkey/contracts'
import { importJwks, type KeySource } from './key-source.js'

export interface StaticKeySource extends KeySource {
  setKeys (jwks: Jwks): void
}

export function createStaticKeySource (jwks: Jwks): StaticKeySource {
  let keys = importJwks(jwks)
  return {
    getKey (kid) { return keys.get(kid) },
    hasKey (kid) { return keys.has(kid) },
    setKeys (next) { keys = importJwks(next) }
  }
}
