/**
 * The stable machine-readable `code` of every problem answer. Clients switch on these strings,
 * so a code is never renamed or reused for another meaning.
 */
export const ErrorCode = {
  validationFailed: 'validation_failed',
  unsupportedMediaType: 'unsupported_media_type',
  payloadTooLarge: 'payload_too_large',
  unauthorized: 'unauthorized',
  tokenInvalid: 'token_invalid',
  tokenExpired: 'token_expired',
  tokenRevoked: 'token_revoked',
  invalidCredentials: 'invalid_credentials',
  invalidPassword: 'invalid_password',
  accountDisabled: 'account_disabled',
  emailTaken: 'email_taken',
  lastAdmin: 'last_admin',
  invalidRefreshToken: 'invalid_refresh_token',
  refreshTokenReused: 'refresh_token_reused',
  tokenInvalidOrExpired: 'token_invalid_or_expired',
  emailUnverified: 'email_unverified',
  mfaRequired: 'mfa_required',
  invalidMfaToken: 'invalid_mfa_token',
  invalidMfaCode: 'invalid_mfa_code',
  mfaAlreadyEnabled: 'mfa_already_enabled',
  mfaNotEnabled: 'mfa_not_enabled',
  stepUpRequired: 'step_up_required',
  mfaEnrollmentRequired: 'mfa_enrollment_required',
  forbidden: 'forbidden',
  notFound: 'not_found',
  methodNotAllowed: 'method_not_allowed',
  preconditionFailed: 'precondition_failed',
  rateLimited: 'rate_limited',
  serviceUnavailable: 'service_unavailable',
  overloaded: 'overloaded',
  internalError: 'internal_error'
} as const

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode]

/** Human titles, one per code: the `title` member of a problem never varies for a code. */
export const errorTitles: Record<ErrorCode, string> = {
  validation_failed: 'The request is not valid',
  unsupported_media_type: 'Unsupported media type',
  payload_too_large: 'The request body is too large',
  unauthorized: 'Authentication required',
  token_invalid: 'The access token is not valid',
  token_expired: 'The access token has expired',
  token_revoked: 'The access token has been revoked',
  invalid_credentials: 'Invalid email or password',
  invalid_password: 'The password is not correct',
  account_disabled: 'The account is disabled',
  email_taken: 'The email address is already registered',
  last_admin: 'The last administrator cannot be removed',
  invalid_refresh_token: 'The refresh token is not valid',
  refresh_token_reused: 'The refresh token was already used',
  token_invalid_or_expired: 'The token is not valid, was already used or has expired',
  email_unverified: 'The email address is not verified',
  mfa_required: 'A second factor is required',
  invalid_mfa_token: 'The second-factor log-in is not valid, was already used or has expired',
  invalid_mfa_code: 'The second-factor code is not correct',
  mfa_already_enabled: 'Two-factor authentication is already enabled',
  mfa_not_enabled: 'Two-factor authentication is not enabled',
  step_up_required: 'A current second factor is required',
  mfa_enrollment_required: 'A second factor must be enrolled first',
  forbidden: 'Not allowed',
  not_found: 'Not found',
  method_not_allowed: 'Method not allowed',
  precondition_failed: 'The resource has changed',
  rate_limited: 'Too many requests',
  service_unavailable: 'Service temporarily unavailable',
  overloaded: 'Too many requests are waiting',
  internal_error: 'Internal error'
}

/** RFC 9457 `type` URI of a code; stable, so clients may also switch on it. */
export function problemType (code: ErrorCode): string {
  return `urn:latchkey:problem:${code}`
}
