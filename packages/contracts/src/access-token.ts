/**
 * The claims of a Latchkey access token (RFC 9068 profile, `typ: at+jwt`). The auth service signs
 * exactly these; the guard accepts nothing else.
 */
import { Type, type Static } from '@sinclair/typebox'
import { UuidSchema } from './common.js'

export const ACCESS_TOKEN_TYPE = 'at+jwt'
export const ACCESS_TOKEN_ALG = 'EdDSA'

export const AccessTokenClaimsSchema = Type.Object({
  iss: Type.String(),
  sub: UuidSchema,
  aud: Type.String(),
  exp: Type.Integer(),
  iat: Type.Integer(),
  jti: Type.String(),
  sid: UuidSchema,
  roles: Type.Array(Type.String())
})

export type AccessTokenClaims = Static<typeof AccessTokenClaimsSchema>
