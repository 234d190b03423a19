/**
 * Keys given in process: the auth service verifies its own tokens with the keys it publishes,
 * and replaces them on rotation.
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
    setKeys (next) { keys = importJwks(next) }
  }
}
