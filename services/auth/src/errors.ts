/**
 * The auth service's error catalogue: every expected failure, with its status and stable code.
 */
import { HttpProblem, validationProblem } from '@latchkey/fastify-problem'

export const errors = {
  emailTaken: () => new HttpProblem(409, 'email_taken', 'An account with this email already exists'),
  invalidCredentials: () => new HttpProblem(401, 'invalid_credentials', 'The email or password is not correct'),
  invalidPassword: () => new HttpProblem(403, 'invalid_password', 'The current password is not correct'),
  accountDisabled: () => new HttpProblem(403, 'account_disabled', 'This account is disabled'),
  invalidRefreshToken: () => new HttpProblem(401, 'invalid_refresh_token', 'The refresh token is not valid or has expired'),
  refreshTokenReused: () => new HttpProblem(401, 'refresh_token_reused', 'The refresh token was already used; the session has been revoked'),
  lastAdmin: () => new HttpProblem(409, 'last_admin', 'This would leave no active administrator: promote another account first'),
  accountNotFound: () => new HttpProblem(404, 'not_found', 'No account with this id'),
  sessionNotFound: () => new HttpProblem(404, 'not_found', 'No session with this id among yours'),
  badCursor: () => validationProblem('/cursor', 'is not a cursor this service issued')
}
