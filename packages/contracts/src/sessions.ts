/** Sessions, token pairs, forward-auth verification and the JWKS (auth service). */
import { Type, type Static } from '@sinclair/typebox'
import { TimestampSchema, UuidSchema } from './common.js'
import { EmailSchema, PasswordSchema } from './accounts.js'

export const LoginBodySchema = Type.Object({
  email: EmailSchema,
  password: PasswordSchema
}, { additionalProperties: false })

export const RefreshBodySchema = Type.Object({
  refreshToken: Type.String({ minLength: 1, maxLength: 512 })
}, { additionalProperties: false })

export const TokenPairSchema = Type.Object({
  accessToken: Type.String(),
  tokenType: Type.Literal('Bearer'),
  expiresIn: Type.Integer({ description: 'Seconds' }),
  refreshToken: Type.String(),
  refreshExpiresIn: Type.Integer({ description: 'Seconds' }),
  sessionId: UuidSchema
}, { $id: 'TokenPair', additionalProperties: false })

export const SessionSchema = Type.Object({
  id: UuidSchema,
  createdAt: TimestampSchema,
  lastUsedAt: TimestampSchema,
  expiresAt: TimestampSchema,
  userAgent: Type.Union([Type.String(), Type.Null()]),
  ip: Type.Union([Type.String(), Type.Null()]),
  current: Type.Boolean()
}, { $id: 'Session', additionalProperties: false })

export const SessionListSchema = Type.Object({
  items: Type.Array(Type.Ref('Session'))
}, { $id: 'SessionList', additionalProperties: false })

export const VerifyResponseSchema = Type.Object({
  sub: UuidSchema,
  sid: UuidSchema,
  roles: Type.Array(Type.String()),
  exp: Type.Integer()
}, { $id: 'Verification', additionalProperties: false })

export const JwkSchema = Type.Object({
  kty: Type.Literal('OKP'),
  crv: Type.Literal('Ed25519'),
  x: Type.String(),
  kid: Type.String(),
  alg: Type.Literal('EdDSA'),
  use: Type.Literal('sig')
}, { $id: 'Jwk', additionalProperties: false })

export const JwksSchema = Type.Object({
  keys: Type.Array(Type.Ref('Jwk'))
}, { $id: 'Jwks', additionalProperties: false })

export type LoginBody = Static<typeof LoginBodySchema>
export type RefreshBody = Static<typeof RefreshBodySchema>
export type TokenPair = Static<typeof TokenPairSchema>
export type Session = Static<typeof SessionSchema>
export type VerifyResponse = Static<typeof VerifyResponseSchema>
export type Jwk = Static<typeof JwkSchema>
export type Jwks = { keys: Jwk[] }
