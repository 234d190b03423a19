/**
 * The contract schemas the client speaks, by the name the OpenAPI documents give them (a
 * component's `$id`, or the request shape's schema name). The client imports only the *type* of
 * this map, so neither TypeBox nor the contracts reach its bundle; the agreement test imports the
 * map itself and compares every entry with both services' OpenAPI documents.
 */
import {
  AcceptedSchema, ConfirmEmailBodySchema, ConfirmPasswordResetBodySchema, PasswordResetBodySchema,
  AccountPageSchema, AccountSchema, AdminUpdateAccountBodySchema, ChangePasswordBodySchema, DeleteMyAccountBodySchema,
  FieldErrorSchema, HealthSchema, JwkSchema, JwksSchema, ListAccountsQuerySchema, ListUsersQuerySchema, LoginBodySchema,
  ProblemSchema, ProfilePatchBodySchema, ProfilePutBodySchema, ProfileSchema, PublicProfilePageSchema, PublicProfileSchema,
  RefreshBodySchema, RegisterBodySchema, SessionListSchema, SessionSchema, TokenPairSchema, UpdateMyAccountBodySchema,
  VerifyResponseSchema, MfaStatusSchema, TotpEnrolmentSchema, RecoveryCodesSchema, MfaLogInBodySchema, StartTotpEnrolmentBodySchema,
  ConfirmTotpBodySchema, RemoveTotpBodySchema, RegenerateRecoveryCodesBodySchema
} from '@latchkey/contracts'
import type { Static, TImport } from '@sinclair/typebox'

/** Components of the OpenAPI documents (`#/components/schemas/<name>`): each schema's `$id`. */
export const componentSchemas = {
  Account: AccountSchema,
  Accepted: AcceptedSchema,
  AccountPage: AccountPageSchema,
  TokenPair: TokenPairSchema,
  Session: SessionSchema,
  SessionList: SessionListSchema,
  Verification: VerifyResponseSchema,
  Jwk: JwkSchema,
  Jwks: JwksSchema,
  Health: HealthSchema,
  Profile: ProfileSchema,
  PublicProfile: PublicProfileSchema,
  PublicProfilePage: PublicProfilePageSchema,
  MfaStatus: MfaStatusSchema,
  TotpEnrolment: TotpEnrolmentSchema,
  RecoveryCodes: RecoveryCodesSchema,
  Problem: ProblemSchema,
  FieldError: FieldErrorSchema
}

/** Request bodies and query strings, which the documents inline. */
export const inputSchemas = {
  RegisterBody: RegisterBodySchema,
  LoginBody: LoginBodySchema,
  RefreshBody: RefreshBodySchema,
  UpdateMyAccountBody: UpdateMyAccountBodySchema,
  ChangePasswordBody: ChangePasswordBodySchema,
  DeleteMyAccountBody: DeleteMyAccountBodySchema,
  ListAccountsQuery: ListAccountsQuerySchema,
  AdminUpdateAccountBody: AdminUpdateAccountBodySchema,
  ProfilePatchBody: ProfilePatchBodySchema,
  ProfilePutBody: ProfilePutBodySchema,
  ListUsersQuery: ListUsersQuerySchema,
  ConfirmEmailBody: ConfirmEmailBodySchema,
  PasswordResetBody: PasswordResetBodySchema,
  ConfirmPasswordResetBody: ConfirmPasswordResetBodySchema,
  MfaLogInBody: MfaLogInBodySchema,
  StartTotpEnrolmentBody: StartTotpEnrolmentBodySchema,
  ConfirmTotpBody: ConfirmTotpBodySchema,
  RemoveTotpBody: RemoveTotpBodySchema,
  RegenerateRecoveryCodesBody: RegenerateRecoveryCodesBodySchema
}

type Schemas = typeof componentSchemas & typeof inputSchemas
export type SchemaName = keyof Schemas
export type ComponentName = keyof typeof componentSchemas
export type InputName = keyof typeof inputSchemas

/** The TypeScript type of a contract schema, with its `$ref`s resolved (`AccountPage.items` are Accounts). */
export type Shape<Name extends SchemaName> = Static<TImport<Schemas, Name>>
