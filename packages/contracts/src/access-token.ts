/**
 * The claims of a Latchkey access token (RFC 9068 profile, `typ: at+jwt`). The auth service signs
 * exactly these; the guard accepts nothing else.
 */
import { Type, type Static } from '@sinclair/typebox'
import { UuidSchema } from './common.js'

export const ACCESS_TOKEN_TYPE = 'at+jwt'
export const ACCESS_TOKEN_ALG = 'EdDSA'
/**
 * The most clock leeway (TOKEN_LEEWAY, seconds) any guard may apply to exp. The auth service keeps
 * every revocation entry until its tokens' exp plus this, so no guard ever accepts a revoked token
 * after the entry that refused it is gone, whatever leeway each service is configured with.
 */
export const MAX_TOKEN_LEEWAY_SECONDS = 300

/** TOKEN_LEEWAY, the same setting in every service that checks tokens. */
export const TokenLeewaySchema = Type.Integer({ minimum: 0, maximum: MAX_TOKEN_LEEWAY_SECONDS, default: 0, description: `Clock leeway for exp/nbf, seconds (at most ${MAX_TOKEN_LEEWAY_SECONDS})` })

export const AccessTokenClaimsSchema = Type.Object({
  iss: Type.String(),
  sub: UuidSchema,
  aud: Type.String(),
  exp: Type.Integer(),
  iat: Type.Integer(),
  jti: Type.String(),
  sid: UuidSchema,
  roles: Type.Array(Type.String()),
  /**
   * The account's token version at issue. Every account-wide cut-off (log out everywhere,
   * disable, role change, deletion) raises the version; tokens below it are revoked. A counter,
   * not a time, so two cut-offs in one second never leave a token alive between them.
   */
  tv: Type.Integer({ minimum: 0 }),
  email_verified: Type.Boolean(),
  /** How the session was authenticated (RFC 8176): `pwd`, plus `otp` after a second factor. */
  amr: Type.Array(Type.String()),
  /** When the session's log in happened (OpenID Connect `auth_time`), seconds since the epoch; refreshes keep it. */
  auth_time: Type.Integer(),
  /**
   * The account holds a role of MFA_REQUIRED_ROLES and this session passed no second factor: the
   * token is good only for enrolling one (every other route answers 403 mfa_enrollment_required).
   */
  mfa_enrollment_required: Type.Boolean()
})

export type AccessTokenClaims = Static<typeof AccessTokenClaimsSchema>
