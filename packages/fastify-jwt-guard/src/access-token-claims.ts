/**
 * The claims rules of an access token (RFC 9068 profile), applied to a payload whose signature
 * already checked out. Returns a clean, frozen claims object: shared by the cache and
 * request.auth, so no one may mutate it.
 */
import { isUuid, type AccessTokenClaims } from '@latchkey/contracts'

const MAX_JTI_LENGTH = 256

export interface ClaimsRules {
  issuer: string
  audience: string
}

function isStringArray (value: unknown): value is string[] {
  return Array.isArray(value) && value.every(item => typeof item === 'string')
}

function hasAudience (aud: unknown, audience: string): boolean {
  return aud === audience || (Array.isArray(aud) && aud.includes(audience))
}

/** The frozen claims and the token's nbf (if any), or a reason why the payload is not acceptable. */
export function readClaims (payload: Record<string, unknown>, rules: ClaimsRules): { claims: AccessTokenClaims, nbf: number | undefined } | string {
  const { iss, aud, sub, sid, jti, roles, iat, exp, nbf, tv, amr } = payload
  const authTime = payload.auth_time
  if (iss !== rules.issuer) return 'wrong issuer'
  if (!hasAudience(aud, rules.audience)) return 'wrong audience'
  if (!isUuid(sub) || !isUuid(sid)) return 'sub or sid is not a UUID'
  if (typeof jti !== 'string' || jti.length === 0 || jti.length > MAX_JTI_LENGTH) return 'jti missing'
  if (!isStringArray(roles)) return 'roles is not a list of strings'
  if (!Number.isSafeInteger(iat) || !Number.isSafeInteger(exp)) return 'iat or exp is not an integer'
  if (nbf !== undefined && !Number.isSafeInteger(nbf)) return 'nbf is not an integer'
  // Absent counts as version 0: such a token dies at the account's first cut-off.
  if (tv !== undefined && !(Number.isSafeInteger(tv) && (tv as number) >= 0)) return 'tv is not a non-negative integer'
  if (amr !== undefined && !isStringArray(amr)) return 'amr is not a list of strings'
  if (authTime !== undefined && !Number.isSafeInteger(authTime)) return 'auth_time is not an integer'
  const enrolmentOnly = payload.mfa_enrollment_required
  if (enrolmentOnly !== undefined && typeof enrolmentOnly !== 'boolean') return 'mfa_enrollment_required is not a boolean'
  const claims: AccessTokenClaims = Object.freeze({
    iss: rules.issuer,
    sub,
    aud: rules.audience,
    exp: exp as number,
    iat: iat as number,
    jti,
    sid,
    roles: Object.freeze([...roles]) as string[],
    tv: (tv as number | undefined) ?? 0,
    // Absent in tokens issued before the claim existed: not verified.
    email_verified: payload.email_verified === true,
    // Tokens issued before second factors existed were password-only, authenticated at issue.
    amr: Object.freeze(amr === undefined ? ['pwd'] : [...amr]) as string[],
    auth_time: (authTime as number | undefined) ?? (iat as number),
    mfa_enrollment_required: enrolmentOnly === true
  })
  return { claims, nbf: nbf as number | undefined }
}
