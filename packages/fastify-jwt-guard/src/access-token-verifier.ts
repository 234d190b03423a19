/**
 * The access-token check both services run on every authenticated request, and the auth
 * service's logout uses: parse, verify the Ed25519 signature, apply the claims rules, then the
 * time and revocation rules. Verified tokens are cached by their exact string, so a repeat token
 * costs one Map lookup plus the checks that change over time (expiry, revocation, staleness).
 */
import { verify, type KeyObject } from 'node:crypto'
import type { AccessTokenClaims } from '@latchkey/contracts'
import { parseCompactJws, type CompactJws } from './compact-jws.js'
import { readClaims } from './access-token-claims.js'
import type { KeySource } from './key-source.js'
import type { RevocationView } from './revocation-view.js'
import { parseSid, type ParsedSid } from './session-set.js'
import { createTokenCache } from './token-cache.js'

export type TokenCheck =
  | { ok: true, claims: AccessTokenClaims }
  /**
   * claims are present for 'expired', 'revoked' and 'unavailable': the signature was valid, so
   * whoever holds the token may still end its session. detail never contains the token.
   * 'unavailable': revocations cannot be checked; 'keys_unavailable': the signing keys cannot be
   * fetched, so whether the token is valid is unknown (no claims).
   */
  | { ok: false, reason: 'invalid' | 'expired' | 'revoked' | 'unavailable' | 'keys_unavailable', claims?: AccessTokenClaims, detail: string }

export interface AccessTokenVerifier {
  /** Synchronous unless a key has to be fetched. */
  check (token: string): TokenCheck | Promise<TokenCheck>
}

export interface AccessTokenVerifierOptions {
  keys: KeySource
  issuer: string
  audience: string
  /** Seconds of clock skew allowed on exp, nbf, iat and the lifetime bound. Default 0. */
  leewaySeconds?: number
  /**
   * The longest exp - iat accepted (the issuer's access-token lifetime). Revocation entries are
   * kept only that long, so a longer-lived token would outlive its revocation.
   */
  maxLifetimeSeconds: number
  revocations: RevocationView
  /** Verified tokens kept (at most; see token-cache.ts). Default 10 000. */
  cacheSize?: number
  /** Clock in epoch ms. Default Date.now. */
  now?: () => number
}

type Verified = { ok: true, claims: AccessTokenClaims }

/**
 * A verified token with the key it was signed with, which may be withdrawn while it is cached, and
 * its sid parsed once for the revocation check.
 */
interface Cached { kid: string, verified: Verified, sid: ParsedSid }

const KEYS_UNAVAILABLE: TokenCheck = Object.freeze({ ok: false, reason: 'keys_unavailable', detail: 'the signing keys cannot be fetched' })

function invalid (detail: string): TokenCheck {
  return { ok: false, reason: 'invalid', detail }
}

function parsePayload (payload: Buffer): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(payload.toString('utf8'))
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? value as Record<string, unknown> : undefined
  } catch {
    return undefined
  }
}

function isPromise<T> (value: T | Promise<T>): value is Promise<T> {
  return typeof (value as { then?: unknown } | undefined)?.then === 'function'
}

export function createAccessTokenVerifier (options: AccessTokenVerifierOptions): AccessTokenVerifier {
  const { keys, revocations } = options
  const rules = { issuer: options.issuer, audience: options.audience }
  const leeway = options.leewaySeconds ?? 0
  const maxLifetime = options.maxLifetimeSeconds + leeway
  const now = options.now ?? Date.now
  const cache = createTokenCache<Cached>(options.cacheSize ?? 10_000)

  /** The rules that change over time; everything else was settled when the token was first verified. */
  function current (token: string, { kid, verified, sid }: Cached): TokenCheck {
    const claims = verified.claims
    // A key withdrawn in an emergency (revocation feed) or no longer published: its tokens die at once.
    if (revocations.isKeyRevoked(kid) || !keys.hasKey(kid)) {
      cache.delete(token)
      return invalid('signing key withdrawn')
    }
    if (now() / 1000 >= claims.exp + leeway) {
      cache.delete(token)
      return { ok: false, reason: 'expired', claims, detail: 'the token has expired' }
    }
    if (revocations.isStale()) return { ok: false, reason: 'unavailable', claims, detail: 'the revocation list is not current' }
    if (revocations.isRevoked(sid, claims.sub, claims.tv)) return { ok: false, reason: 'revoked', claims, detail: 'the token has been revoked' }
    return verified
  }

  function finish (token: string, jws: CompactJws, key: KeyObject | undefined): TokenCheck {
    if (key === undefined) return invalid('unknown kid')
    if (!verify(null, Buffer.from(jws.signingInput), key, jws.signature)) return invalid('bad signature')
    const payload = parsePayload(jws.payload)
    if (payload === undefined) return invalid('payload is not a JSON object')
    const read = readClaims(payload, rules)
    if (typeof read === 'string') return invalid(read)
    const nowSeconds = now() / 1000
    if (read.nbf !== undefined && read.nbf > nowSeconds + leeway) return invalid('not yet valid (nbf)')
    // Checked once, before the cache: a cache hit never repeats them.
    if (read.claims.iat > nowSeconds + leeway) return invalid('issued in the future (iat)')
    if (read.claims.exp - read.claims.iat > maxLifetime) return invalid('lifetime longer than allowed')
    const cached: Cached = { kid: jws.kid, verified: Object.freeze({ ok: true, claims: read.claims }), sid: parseSid(read.claims.sid) }
    if (nowSeconds < read.claims.exp + leeway) cache.set(token, cached)
    return current(token, cached)
  }

  return {
    check (token) {
      const cached = cache.get(token)
      if (cached !== undefined) return current(token, cached)
      const jws = parseCompactJws(token)
      if (typeof jws === 'string') return invalid(jws)
      const key = keys.getKey(jws.kid)
      if (isPromise(key)) return key.then(resolved => finish(token, jws, resolved), () => KEYS_UNAVAILABLE)
      return finish(token, jws, key)
    }
  }
}
