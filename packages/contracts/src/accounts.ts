/** Accounts: credentials, roles and availability (auth service). */
import { Type, type Static } from '@sinclair/typebox'
import { PageQueryProperties, PageSchema, TimestampSchema, TotpCodeSchema, UuidSchema } from './common.js'
import { TextSchema } from './text.js'

/**
 * Surrounding whitespace is allowed here because emails are trimmed before use. Invisible
 * characters (control characters and default-ignorable ones: zero-width spaces and joiners, soft
 * hyphens, direction marks) are refused, since they would make a second account of an address
 * that looks the same. The auth service compares addresses in NFKC form (see its README).
 */
export const EmailSchema = Type.String({
  minLength: 3,
  maxLength: 254,
  pattern: '^\\s*[^\\s@\\p{Cc}\\p{Default_Ignorable_Code_Point}]+@[^\\s@\\p{Cc}\\p{Default_Ignorable_Code_Point}]+\\s*$',
  description: 'No invisible characters. Compared in Unicode NFKC form, trimmed, without a trailing dot on the domain, case-insensitively'
})

/** The length floor is PASSWORD_MIN_LENGTH, checked at run time; 256 is the hard ceiling. */
export const PasswordSchema = Type.String({ minLength: 1, maxLength: 256 })

/** 1 to 100 characters (code points, see text.ts), not only whitespace. */
export const DisplayNameSchema = TextSchema({ minLength: 1, maxLength: 100, pattern: '\\S' })

export const AccountStatusSchema = Type.Union([Type.Literal('active'), Type.Literal('disabled')])
export const RoleSchema = Type.String({ minLength: 1, maxLength: 32, pattern: '^[a-z][a-z0-9_-]*$' })

export const AccountSchema = Type.Object({
  id: UuidSchema,
  email: Type.String(),
  roles: Type.Array(RoleSchema),
  status: AccountStatusSchema,
  emailVerified: Type.Boolean({ description: 'The account proved it receives mail at `email`' }),
  pendingEmail: Type.Optional(Type.String({ description: 'An email change waiting for its confirmation from this address' })),
  createdAt: TimestampSchema,
  updatedAt: TimestampSchema
}, { $id: 'Account', additionalProperties: false })

export const RegisterBodySchema = Type.Object({
  email: EmailSchema,
  password: PasswordSchema,
  name: DisplayNameSchema
}, { additionalProperties: false })

export const UpdateMyAccountBodySchema = Type.Object({
  email: EmailSchema,
  currentPassword: PasswordSchema,
  /** With a second factor: a current TOTP code, unless the access token passed one within STEP_UP_MAX_AGE (else 401 step_up_required). */
  code: Type.Optional(TotpCodeSchema)
}, { additionalProperties: false })

export const ChangePasswordBodySchema = Type.Object({
  currentPassword: PasswordSchema,
  newPassword: PasswordSchema,
  /** With a second factor: a current TOTP code, unless the access token passed one within STEP_UP_MAX_AGE (else 401 step_up_required). */
  code: Type.Optional(TotpCodeSchema)
}, { additionalProperties: false })

export const DeleteMyAccountBodySchema = Type.Object({
  password: PasswordSchema,
  /** With a second factor: a current TOTP code, unless the access token passed one within STEP_UP_MAX_AGE (else 401 step_up_required). */
  code: Type.Optional(TotpCodeSchema)
}, { additionalProperties: false })

export const ListAccountsQuerySchema = Type.Object({
  ...PageQueryProperties,
  email: Type.Optional(Type.String({ minLength: 1, maxLength: 254, description: 'Exact email (case-insensitive)' }))
}, { additionalProperties: false })

export const AdminUpdateAccountBodySchema = Type.Object({
  status: Type.Optional(AccountStatusSchema),
  roles: Type.Optional(Type.Array(RoleSchema, { minItems: 1, maxItems: 16, uniqueItems: true }))
}, { additionalProperties: false, minProperties: 1 })

export const AccountPageSchema = PageSchema(Type.Ref('Account'), 'AccountPage')

export type Account = Static<typeof AccountSchema>
export type RegisterBody = Static<typeof RegisterBodySchema>
export type UpdateMyAccountBody = Static<typeof UpdateMyAccountBodySchema>
export type ChangePasswordBody = Static<typeof ChangePasswordBodySchema>
export type DeleteMyAccountBody = Static<typeof DeleteMyAccountBodySchema>
export type ListAccountsQuery = Static<typeof ListAccountsQuerySchema>
export type AdminUpdateAccountBody = Static<typeof AdminUpdateAccountBodySchema>
export type AccountStatus = Static<typeof AccountStatusSchema>
