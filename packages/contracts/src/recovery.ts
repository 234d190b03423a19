/** Email ownership and account recovery: verification, password reset (auth service). */
import { Type, type Static } from '@sinclair/typebox'
import { EmailSchema, PasswordSchema } from './accounts.js'

/** A mailed token: 256 random bits, base64url. */
export const MailedTokenSchema = Type.String({ minLength: 43, maxLength: 43, pattern: '^[A-Za-z0-9_-]{43}$' })

/** The answer of every request that queues a mail: the same whether or not anything was sent. */
export const AcceptedSchema = Type.Object({
  status: Type.Literal('accepted')
}, { $id: 'Accepted', additionalProperties: false })

export const ConfirmEmailBodySchema = Type.Object({
  token: MailedTokenSchema
}, { additionalProperties: false })

export const PasswordResetBodySchema = Type.Object({
  email: EmailSchema
}, { additionalProperties: false })

export const ConfirmPasswordResetBodySchema = Type.Object({
  token: MailedTokenSchema,
  password: PasswordSchema
}, { additionalProperties: false })

export type Accepted = Static<typeof AcceptedSchema>
export type ConfirmEmailBody = Static<typeof ConfirmEmailBodySchema>
export type PasswordResetBody = Static<typeof PasswordResetBodySchema>
export type ConfirmPasswordResetBody = Static<typeof ConfirmPasswordResetBodySchema>
