/**
 * Every operation of both services, by client method name: which service, `METHOD /path`, the
 * component it answers with (none for 204), its body (or, for GET, its query) and whether it is
 * open (no access token). The agreement test holds this table to the OpenAPI documents.
 */
import type { ComponentName, InputName } from './contract-schemas.js'

export interface Route {
  auth?: string
  users?: string
  response?: ComponentName
  input?: InputName
  open?: true
}

export const routes = {
  register: { auth: 'POST /accounts', response: 'Account', input: 'RegisterBody', open: true },
  logIn: { auth: 'POST /sessions', response: 'TokenPair', input: 'LoginBody', open: true },
  refreshSession: { auth: 'POST /sessions/refresh', response: 'TokenPair', input: 'RefreshBody', open: true },
  logOut: { auth: 'DELETE /sessions/current' },
  logOutEverywhere: { auth: 'DELETE /sessions' },
  listMySessions: { auth: 'GET /sessions', response: 'SessionList' },
  revokeSession: { auth: 'DELETE /sessions/{id}' },
  getMyAccount: { auth: 'GET /accounts/me', response: 'Account' },
  changeMyEmail: { auth: 'PATCH /accounts/me', response: 'Account', input: 'UpdateMyAccountBody' },
  changeMyPassword: { auth: 'PUT /accounts/me/password', input: 'ChangePasswordBody' },
  deleteMyAccount: { auth: 'DELETE /accounts/me', input: 'DeleteMyAccountBody' },
  listAccounts: { auth: 'GET /accounts', response: 'AccountPage', input: 'ListAccountsQuery' },
  getAccount: { auth: 'GET /accounts/{id}', response: 'Account' },
  updateAccount: { auth: 'PATCH /accounts/{id}', response: 'Account', input: 'AdminUpdateAccountBody' },
  deleteAccount: { auth: 'DELETE /accounts/{id}' },
  sendPasswordReset: { auth: 'POST /accounts/{id}/password-reset', response: 'Accepted' },
  sendEmailVerification: { auth: 'POST /email-verifications', response: 'Accepted' },
  confirmEmail: { auth: 'POST /email-verifications/confirm', input: 'ConfirmEmailBody', open: true },
  requestPasswordReset: { auth: 'POST /password-resets', response: 'Accepted', input: 'PasswordResetBody', open: true },
  confirmPasswordReset: { auth: 'POST /password-resets/confirm', input: 'ConfirmPasswordResetBody', open: true },
  logInWithSecondFactor: { auth: 'POST /sessions/mfa', response: 'TokenPair', input: 'MfaLogInBody', open: true },
  getMyMfa: { auth: 'GET /accounts/me/mfa', response: 'MfaStatus' },
  startTotpEnrolment: { auth: 'POST /accounts/me/mfa/totp', response: 'TotpEnrolment', input: 'StartTotpEnrolmentBody' },
  confirmTotpEnrolment: { auth: 'POST /accounts/me/mfa/totp/confirm', response: 'RecoveryCodes', input: 'ConfirmTotpBody' },
  removeTotp: { auth: 'DELETE /accounts/me/mfa/totp', input: 'RemoveTotpBody' },
  regenerateRecoveryCodes: { auth: 'POST /accounts/me/mfa/recovery-codes', response: 'RecoveryCodes', input: 'RegenerateRecoveryCodesBody' },
  resetAccountMfa: { auth: 'DELETE /accounts/{id}/mfa' },
  verifyToken: { auth: 'GET /verify', response: 'Verification' },
  getJwks: { auth: 'GET /.well-known/jwks.json', response: 'Jwks', open: true },
  getAuthLiveness: { auth: 'GET /health/live', response: 'Health', open: true },
  getAuthReadiness: { auth: 'GET /health/ready', response: 'Health', open: true },
  getMyProfile: { users: 'GET /users/me', response: 'Profile' },
  updateMyProfile: { users: 'PATCH /users/me', response: 'Profile', input: 'ProfilePatchBody' },
  replaceMyProfile: { users: 'PUT /users/me', response: 'Profile', input: 'ProfilePutBody' },
  getUser: { users: 'GET /users/{id}', response: 'PublicProfile' },
  listUsers: { users: 'GET /users', response: 'PublicProfilePage', input: 'ListUsersQuery' },
  adminUpdateUser: { users: 'PATCH /users/{id}', response: 'Profile', input: 'ProfilePatchBody' },
  getUsersLiveness: { users: 'GET /health/live', response: 'Health', open: true },
  getUsersReadiness: { users: 'GET /health/ready', response: 'Health', open: true }
} as const satisfies Record<string, Route>

export type Routes = typeof routes
export type OperationName = keyof Routes
