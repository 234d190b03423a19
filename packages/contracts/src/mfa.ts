/**
 * Two-factor authentication (auth service): TOTP enrolment, recovery codes, and the second step of
 * log in. A TOTP factor is SHA-1, 6 digits, 30 s (RFC 6238 defaults, what every authenticator app
 * accepts).
 */
import { Type, type Static } from '@sinclair/typebox'
import { TimestampSchema, TotpCodeSchema } from './common.js'
import { PasswordSchema } from './accounts.js'
export const RecoveryCodeSchema = Type.String({ minLength: 1, maxLength: 64, description: 'One of the recovery codes (hyphens, spaces and case do not matter)' })

/** The methods a second step may use, as `methods` of an `mfa_required` problem lists them. */
export const MfaMethodSchema = Type.Union([Type.Literal('totp'), Type.Literal('recovery_code')])

export const MfaStatusSchema = Type.Object({
  totp: Type.Object({
    enabled: Type.Boolean({ description: 'A confirmed factor: log in needs its code' }),
    createdAt: Type.Union([TimestampSchema, Type.Null()], { description: 'When the active factor was confirmed' })
  }, { additionalProperties: false }),
  recoveryCodesLeft: Type.Integer({ minimum: 0 })
}, { $id: 'MfaStatus', additionalProperties: false })

export const StartTotpEnrolmentBodySchema = Type.Object({
  password: PasswordSchema
}, { additionalProperties: false })

export const TotpEnrolmentSchema = Type.Object({
  secret: Type.String({ description: 'Base32 secret, shown this once' }),
  otpauthUri: Type.String({ description: 'otpauth://totp/… URI for authenticator apps' }),
  qrCodeSvg: Type.String({ description: 'The URI as an SVG QR code' })
}, { $id: 'TotpEnrolment', additionalProperties: false })

export const ConfirmTotpBodySchema = Type.Object({
  code: TotpCodeSchema
}, { additionalProperties: false })

export const RecoveryCodesSchema = Type.Object({
  recoveryCodes: Type.Array(Type.String(), { description: 'Single-use codes, shown this once' })
}, { $id: 'RecoveryCodes', additionalProperties: false })

export const RemoveTotpBodySchema = Type.Object({
  password: PasswordSchema,
  code: Type.Optional(TotpCodeSchema),
  recoveryCode: Type.Optional(RecoveryCodeSchema)
}, { additionalProperties: false, description: 'The password and exactly one of code and recoveryCode' })

export const RegenerateRecoveryCodesBodySchema = Type.Object({
  code: TotpCodeSchema
}, { additionalProperties: false })

export const MfaLogInBodySchema = Type.Object({
  mfaToken: Type.String({ minLength: 1, maxLength: 128 }),
  code: Type.Optional(TotpCodeSchema),
  recoveryCode: Type.Optional(RecoveryCodeSchema)
}, { additionalProperties: false, description: 'The mfaToken of the mfa_required answer and exactly one of code and recoveryCode' })

/** The 401 of POST /sessions: a problem, and for `mfa_required` its two extension members. */
export const MfaRequiredProblemSchema = Type.Object({
  type: Type.String({ format: 'uri' }),
  title: Type.String(),
  status: Type.Integer({ minimum: 400, maximum: 599 }),
  detail: Type.String(),
  code: Type.String(),
  mfaToken: Type.Optional(Type.String({ description: 'mfa_required: single use, 5 minutes, for POST /sessions/mfa' })),
  methods: Type.Optional(Type.Array(MfaMethodSchema, { description: 'mfa_required: what POST /sessions/mfa accepts' }))
}, { $id: 'MfaRequiredProblem', additionalProperties: false })

export type MfaStatus = Static<typeof MfaStatusSchema>
export type StartTotpEnrolmentBody = Static<typeof StartTotpEnrolmentBodySchema>
export type TotpEnrolment = Static<typeof TotpEnrolmentSchema>
export type ConfirmTotpBody = Static<typeof ConfirmTotpBodySchema>
export type RecoveryCodes = Static<typeof RecoveryCodesSchema>
export type RemoveTotpBody = Static<typeof RemoveTotpBodySchema>
export type RegenerateRecoveryCodesBody = Static<typeof RegenerateRecoveryCodesBodySchema>
export type MfaLogInBody = Static<typeof MfaLogInBodySchema>
export type MfaMethod = Static<typeof MfaMethodSchema>
