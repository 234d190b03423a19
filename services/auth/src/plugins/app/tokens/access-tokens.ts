/**
 * Signs access tokens (RFC 9068 profile: typ at+jwt, EdDSA). Signing is a few microseconds with
 * node:crypto, so it is done here directly rather than through a JWT library's async pipeline.
 */
import { randomUUID, sign } from 'node:crypto'
import { ACCESS_TOKEN_ALG, ACCESS_TOKEN_TYPE, type AccessTokenClaims } from '@latchkey/contracts'
import type { SigningKey } from './signing-keys.js'

export interface IssueAccessTokenInput {
  sub: string
  sid: string
  roles: string[]
  emailVerified: boolean
  /** The account's token version, read with its roles from one row (claim `tv`). */
  tokenVersion: number
  /** The session's authentication methods and log-in time (seconds), kept across refreshes. */
  amr: string[]
  authTime: number
  /** The token may only be used to enrol a second factor (MFA_REQUIRED_ROLES). */
  mfaEnrollmentRequired: boolean
}

/** key: the signing key at this moment (it changes when a rotation activates a new one). */
export function createAccessTokenSigner (options: { key: () => SigningKey, issuer: string, audience: string, ttlSeconds: number }) {
  const headers = new Map<string, string>()
  const headerOf = (kid: string): string => {
    let header = headers.get(kid)
    if (header === undefined) {
      header = Buffer.from(JSON.stringify({ alg: ACCESS_TOKEN_ALG, typ: ACCESS_TOKEN_TYPE, kid })).toString('base64url')
      if (headers.size > 8) headers.clear()
      headers.set(kid, header)
    }
    return header
  }
  return {
    issueAccessToken (input: IssueAccessTokenInput): { accessToken: string, expiresIn: number, claims: AccessTokenClaims } {
      const key = options.key()
      const header = headerOf(key.kid)
      const iat = Math.floor(Date.now() / 1000)
      const claims: AccessTokenClaims = {
        iss: options.issuer,
        sub: input.sub,
        aud: options.audience,
        exp: iat + options.ttlSeconds,
        iat,
        jti: randomUUID(),
        sid: input.sid,
        roles: input.roles,
        tv: input.tokenVersion,
        email_verified: input.emailVerified,
        amr: input.amr,
        auth_time: input.authTime,
        mfa_enrollment_required: input.mfaEnrollmentRequired
      }
      const signingInput = `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`
      const signature = sign(null, Buffer.from(signingInput), key.privateKey).toString('base64url')
      return { accessToken: `${signingInput}.${signature}`, expiresIn: claims.exp - Math.floor(Date.now() / 1000), claims }
    }
  }
}

export type AccessTokenSigner = ReturnType<typeof createAccessTokenSigner>
