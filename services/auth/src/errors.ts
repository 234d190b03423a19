/**
 * The auth service's error catalogue: every expected failure, with its status and stable code.
 */
import { bearerChallenge, HttpProblem } from '@latchkey/fastify-problem'

// Log in and refresh take their credentials in the body, yet a 401 must still carry a challenge
// (RFC 9110 §15.5.2): it names the Bearer scheme the API's protected routes use. A refused refresh
// token was a presented token, so it gets RFC 6750's invalid_token; a failed log-in presented none.
const refreshTokenRefused = (description: string) => ({ headers: { 'www-authenticate': bearerChallenge({ error: 'invalid_token', description }) } })

export const errors = {
  emailTaken: () => new HttpProblem(409, 'email_taken', 'An account with this email already exists'),
  invalidCredentials: () => new HttpProblem(401, 'invalid_credentials', 'The email or password is not correct', { headers: { 'www-authenticate': bearerChallenge() } }),
  invalidPassword: () => new HttpProblem(403, 'invalid_password', 'The current password is not correct'),
  tokenInvalidOrExpired: () => new HttpProblem(400, 'token_invalid_or_expired', 'The token is not valid, was already used or has expired'),
  emailUnverified: () => new HttpProblem(403, 'email_unverified', 'Confirm your email address before logging in'),
  accountDisabled: () => new HttpProblem(403, 'account_disabled', 'This account is disabled'),
  invalidRefreshToken: () => new HttpProblem(401, 'invalid_refresh_token', 'The refresh token is not valid or has expired',
    refreshTokenRefused('The refresh token is not valid or has expired')),
  refreshTokenReused: () => new HttpProblem(401, 'refresh_token_reused', 'The refresh token was already used; the session has been revoked',
    refreshTokenRefused('The refresh token was already used')),
  lastAdmin: () => new HttpProblem(409, 'last_admin', 'This would leave no active administrator: promote another account first'),
  accountNotFound: () => new HttpProblem(404, 'not_found', 'No account with this id'),
  sessionNotFound: () => new HttpProblem(404, 'not_found', 'No session with this id among yours'),
  overloaded: (retryAfterSeconds: number) => new HttpProblem(503, 'overloaded', 'Too many password checks are waiting; retry shortly', {
    headers: { 'retry-after': String(Math.max(1, Math.ceil(retryAfterSeconds))) }
  }),
  mfaRequired: (mfaToken: string) => new HttpProblem(401, 'mfa_required', 'The password was right; finish logging in at POST /sessions/mfa with a code', {
    headers: { 'www-authenticate': bearerChallenge() },
    extensions: { mfaToken, methods: ['totp', 'recovery_code'] }
  }),
  invalidMfaToken: () => new HttpProblem(401, 'invalid_mfa_token', 'Log in again: this mfaToken is not valid, was already used, has expired or had too many wrong codes'),
  /** 401 while logging in; 403 on a route the caller is already authenticated for. */
  invalidMfaCode: (status: 401 | 403) => new HttpProblem(status, 'invalid_mfa_code', 'The code is not correct or was already used'),
  mfaAlreadyEnabled: () => new HttpProblem(409, 'mfa_already_enabled', 'Two-factor authentication is already enabled; remove the factor first'),
  mfaNotEnabled: (detail: string) => new HttpProblem(409, 'mfa_not_enabled', detail),
  stepUpRequired: () => new HttpProblem(401, 'step_up_required', 'This change needs a current code from your authenticator app (the `code` member)')
}
