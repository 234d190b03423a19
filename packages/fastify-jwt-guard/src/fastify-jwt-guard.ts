/**
 * The guard both services mount: `app.authenticate` turns `Authorization: Bearer <token>` into
 * request.auth or an RFC 9457 problem (401 / 503, fail closed), `app.requireRole(role)` turns a
 * missing role into 403. The hook is callback-style and stays synchronous whenever the verifier
 * answers synchronously (a cache hit), which keeps a guarded route close to a bare one.
 */
import fp from 'fastify-plugin'
import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify'
import { bearerChallenge, HttpProblem } from '@latchkey/fastify-problem'
import type { AccessTokenVerifier, TokenCheck } from './access-token-verifier.js'
import type { RevocationView } from './revocation-view.js'

/** Who is calling. Frozen at run time (it is shared with the verifier's cache): do not mutate. */
export interface RequestAuth {
  sub: string
  sid: string
  roles: string[]
  jti: string
  exp: number
  iat: number
  /** Authentication methods (RFC 8176): `['pwd']`, or `['pwd', 'otp']` after a second factor. */
  amr: string[]
  /** When the session logged in, seconds since the epoch: a route may demand a recent one (step-up). */
  auth_time: number
  /** Good only for enrolling a second factor: refused by app.authenticate, accepted by app.authenticateForEnrolment. */
  mfa_enrollment_required: boolean
}

export type AuthHook = (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => void

declare module 'fastify' {
  interface FastifyInstance {
    authenticate: AuthHook
    /** app.authenticate that also accepts a token good only for enrolling a second factor (the enrolment routes). */
    authenticateForEnrolment: AuthHook
    requireRole: (role: string) => AuthHook
    accessTokens: AccessTokenVerifier
    /** The read-only view of every live revocation the verifier checks, in both services alike. */
    revocations: RevocationView
  }
  interface FastifyRequest {
    auth: RequestAuth | null
  }
}

/**
 * Who is calling, in a handler behind app.authenticate. A route without the hook is a programming
 * error, answered as a 500 rather than run without a caller.
 */
export function caller (request: FastifyRequest): RequestAuth {
  if (request.auth === null) throw new Error('route is missing app.authenticate')
  return request.auth
}

export interface FastifyJwtGuardOptions {
  verifier: AccessTokenVerifier
  /** The view the verifier checks, decorated as `app.revocations` (health checks and metrics read it). */
  revocations?: RevocationView
}

const REALM = bearerChallenge()
// RFC 6750 §3.1: a refused token is invalid_token whatever the reason; the description says which.
const challenge = (description: string) => ({ headers: { 'www-authenticate': bearerChallenge({ error: 'invalid_token', description }) } })
const EXPIRED = challenge('The access token has expired')
const REVOKED = challenge('The access token has been revoked')
const INVALID = challenge('The access token is not valid')
const BEARER_PREFIX = /^bearer +/i

function unauthorized (): HttpProblem {
  return new HttpProblem(401, 'unauthorized', 'A bearer access token is required', { headers: { 'www-authenticate': REALM } })
}

/** The problem for a failed check. Details are fixed per reason: which rule failed is for logs only. */
function problemFor (check: TokenCheck & { ok: false }): HttpProblem {
  switch (check.reason) {
    case 'expired':
      return new HttpProblem(401, 'token_expired', 'The access token has expired', EXPIRED)
    case 'revoked':
      return new HttpProblem(401, 'token_revoked', 'The access token has been revoked', REVOKED)
    case 'unavailable':
      return new HttpProblem(503, 'service_unavailable', 'Token revocations cannot be checked right now', { headers: { 'retry-after': '1' } })
    case 'keys_unavailable':
      return new HttpProblem(503, 'service_unavailable', 'The signing keys cannot be fetched right now', { headers: { 'retry-after': '1' } })
    case 'invalid':
      return new HttpProblem(401, 'token_invalid', 'The access token is not valid', INVALID)
  }
}

/** The token of a Bearer Authorization header (scheme case-insensitive, RFC 7235), else undefined. */
function bearerToken (header: string | undefined): string | undefined {
  if (header === undefined) return undefined
  if (header.startsWith('Bearer ')) return header.slice(7).trim() || undefined
  const prefix = BEARER_PREFIX.exec(header)
  return prefix === null ? undefined : header.slice(prefix[0].length).trim() || undefined
}

const ENROLMENT_REQUIRED = new HttpProblem(403, 'mfa_enrollment_required', 'Your role requires a second factor: enrol one, then log in again')

function settle (request: FastifyRequest, check: TokenCheck, done: HookHandlerDoneFunction, forEnrolment: boolean): void {
  if (check.ok && check.claims.mfa_enrollment_required && !forEnrolment) {
    done(ENROLMENT_REQUIRED)
    return
  }
  if (check.ok) {
    request.auth = check.claims
    done()
    return
  }
  request.log.debug({ reason: check.reason, detail: check.detail }, 'access token refused')
  done(problemFor(check))
}

export const fastifyJwtGuard = fp<FastifyJwtGuardOptions>(async function fastifyJwtGuard (app: FastifyInstance, options: FastifyJwtGuardOptions) {
  const verifier = options.verifier

  const authenticateFor = (forEnrolment: boolean): AuthHook => (request, _reply, done) => {
    const token = bearerToken(request.headers.authorization)
    if (token === undefined) {
      done(unauthorized())
      return
    }
    const check = verifier.check(token)
    if (check instanceof Promise) {
      check.then(result => { settle(request, result, done, forEnrolment) }, (error: unknown) => { done(error instanceof Error ? error : new Error('token check failed')) })
      return
    }
    settle(request, check, done, forEnrolment)
  }
  const authenticate = authenticateFor(false)

  function requireRole (role: string): AuthHook {
    return (request, _reply, done) => {
      if (request.auth === null) done(unauthorized())
      else if (!request.auth.roles.includes(role)) done(new HttpProblem(403, 'forbidden', `The ${role} role is required`))
      else done()
    }
  }

  app.decorateRequest('auth', null)
  app.decorate('accessTokens', verifier)
  app.decorate('authenticate', authenticate)
  app.decorate('authenticateForEnrolment', authenticateFor(true))
  app.decorate('requireRole', requireRole)
  if (options.revocations !== undefined) app.decorate('revocations', options.revocations)
}, { name: 'fastify-jwt-guard', fastify: '5.x' })
