/**
 * Session operations: log in, refresh with rotation (grace window and reuse detection), list and
 * log out. Every login makes a new session; refresh runs under the session's row lock, so
 * concurrent refreshes of one token are served one after another and agree on one successor.
 */
import fp from 'fastify-plugin'
import { randomUUID, timingSafeEqual } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import type { Sql } from 'postgres'
import type { LoginBody, Session, TokenPair } from '@latchkey/contracts'
import type { RevocationEntry } from '@latchkey/fastify-jwt-guard'
import { errors } from '../../../errors.js'
import { findAccountById, replacePasswordHash } from '../accounts/accounts-repository.js'
import type { AccessTokenSigner } from '../tokens/access-tokens.js'
import type { RefreshToken, RefreshTokens } from '../tokens/refresh-tokens.js'
import {
  findSessionAccountId, findSessionOfAccount, insertSessionIfCredentialsHold, listLiveSessions, lockSession, recordRotation
} from './sessions-repository.js'

export interface SessionsOptions {
  sql: Sql
  signer: AccessTokenSigner
  refreshTokens: RefreshTokens
  refreshTokenTtl: number
  sessionMaxLifetime: number
  reuseGraceSeconds: number
  /** EMAIL_VERIFICATION=required: log in needs a verified email. */
  requireVerifiedEmail?: boolean
  /** MFA_REQUIRED_ROLES: an account holding one gets enrolment-only tokens from a session without a second factor. */
  mfaRequiredRoles?: string[]
}

export interface ClientInfo { userAgent: string | null, ip: string | null }

/** What a new session records of the client that opened it (the user agent cut to 512 characters). */
export function clientOf (request: { headers: { 'user-agent'?: string | undefined }, ip: string }): ClientInfo & { ip: string } {
  return { userAgent: request.headers['user-agent']?.slice(0, 512) ?? null, ip: request.ip }
}

function sameHash (a: Buffer | null, b: Buffer): boolean {
  return a !== null && a.length === b.length && timingSafeEqual(a, b)
}

export function createSessions (app: FastifyInstance, options: SessionsOptions) {
  const { sql, signer, refreshTokens } = options
  const { passwordHasher, revoker, accounts, abuseLimits, mfa } = app

  /**
   * Signed inside the transaction that holds the account row (FOR SHARE): the roles are those
   * current at issue, and an account-wide cut-off that waited for this transaction is later than
   * the token's iat, so it kills the token.
   */
  function tokenPair (account: { id: string, roles: string[], emailVerified: boolean, tokenVersion: number }, session: { id: string, amr: string[], authTime: Date }, refresh: RefreshToken): TokenPair {
    const sessionId = session.id
    const { accessToken, expiresIn } = signer.issueAccessToken({
      sub: account.id,
      sid: sessionId,
      roles: account.roles,
      emailVerified: account.emailVerified,
      tokenVersion: account.tokenVersion,
      amr: session.amr,
      authTime: Math.floor(session.authTime.getTime() / 1000),
      mfaEnrollmentRequired: !session.amr.includes('otp') && (options.mfaRequiredRoles ?? []).some(role => account.roles.includes(role))
    })
    return { accessToken, tokenType: 'Bearer', expiresIn, refreshToken: refresh.token, refreshExpiresIn: options.refreshTokenTtl, sessionId }
  }

  /**
   * The account was read before the slow verify: the session is created only if the password
   * hash that was verified is still the account's and the account is still active.
   */
  async function openSession (account: { id: string, passwordHash: string }, client: ClientInfo, amr: string[], rehashed?: string): Promise<TokenPair | undefined> {
    const sessionId = randomUUID()
    const refresh = refreshTokens.mint(sessionId)
    const session = {
      id: sessionId,
      accountId: account.id,
      verifiedPasswordHash: account.passwordHash,
      refreshHash: refresh.hash,
      idleSeconds: options.refreshTokenTtl,
      maxSeconds: options.sessionMaxLifetime,
      ...client,
      amr
    }
    // The insert is one statement that share-locks the account row it checks, atomic on its own:
    // only a rehash needs a transaction around it (two round trips fewer on every other log in).
    const current = rehashed === undefined
      ? await insertSessionIfCredentialsHold(sql, session)
      : await sql.begin(async tx => {
          const inserted = await insertSessionIfCredentialsHold(tx, session)
          if (inserted !== undefined) await replacePasswordHash(tx, account.id, account.passwordHash, rehashed)
          return inserted
        })
    if (current === undefined) return undefined
    return tokenPair({ id: account.id, ...current }, { id: sessionId, amr, authTime: current.authTime }, refresh)
  }

  return {
    /** Same answer and about the same time for an unknown email and a wrong password. */
    async logIn (body: LoginBody, client: ClientInfo & { ip: string }): Promise<TokenPair> {
      const account = await abuseLimits.checkPassword(body.email, client.ip, async () => {
        const found = await accounts.findForLogIn(body.email)
        return await passwordHasher.verifyPassword(found?.passwordHash, body.password) ? found : undefined
      })
      if (account === undefined) throw errors.invalidCredentials()
      if (account.status === 'disabled') throw errors.accountDisabled()
      // Only after the password matched: a guesser learns nothing from this answer.
      if (options.requireVerifiedEmail === true && !account.emailVerified) throw errors.emailUnverified()
      // No token pair before the second factor: the answer carries an mfaToken for POST /sessions/mfa.
      // Whether there is one was read with the account, before the hash: a factor confirmed while
      // the hash ran applies from the next log in, as for a log in that finished just before it.
      if (account.hasSecondFactor) throw await mfa.challenge(account)
      const rehashed = passwordHasher.needsRehash(account.passwordHash) ? await passwordHasher.hashPassword(body.password) : undefined
      const pair = await openSession(account, client, ['pwd'], rehashed)
      if (pair === undefined) {
        const now = await accounts.findByEmail(body.email)
        throw now !== undefined && now.id === account.id && now.status === 'disabled' ? errors.accountDisabled() : errors.invalidCredentials()
      }
      return pair
    },

    /** The session of a log in whose second factor passed; its password check is the one the mfaToken was bound to. */
    async openSession (account: { id: string, passwordHash: string }, client: ClientInfo, amr: string[]): Promise<TokenPair> {
      const pair = await openSession(account, client, amr)
      // The password changed or the account was disabled since the password check.
      if (pair === undefined) throw errors.invalidMfaToken()
      return pair
    },

    async refresh (token: string): Promise<TokenPair> {
      const presented = refreshTokens.parse(token)
      if (presented === undefined) throw errors.invalidRefreshToken()
      const outcome = await sql.begin(async tx => {
        // Account row first (FOR SHARE), then the session: the order every account change uses,
        // so a refresh waits for a disable, role change or deletion in flight and then sees it.
        const accountId = await findSessionAccountId(tx, presented.sessionId)
        const account = accountId === undefined ? undefined : await findAccountById(tx, accountId, { forShare: true })
        if (account === undefined || account.status !== 'active') return { kind: 'invalid' as const }
        const session = await lockSession(tx, presented.sessionId)
        const now = Date.now()
        if (session === undefined || session.accountId !== account.id || session.revokedAt !== null || session.expiresAt.getTime() <= now ||
          session.createdAt.getTime() + options.sessionMaxLifetime * 1000 <= now) {
          return { kind: 'invalid' as const }
        }
        const successor = refreshTokens.successorOf(presented)
        if (presented.generation === session.refreshGeneration && sameHash(session.refreshHash, presented.hash)) {
          await recordRotation(tx, session.id, {
            previousHash: presented.hash,
            nextHash: successor.hash,
            nextGeneration: successor.generation,
            idleSeconds: options.refreshTokenTtl,
            maxSeconds: options.sessionMaxLifetime
          })
          return { kind: 'rotated' as const, pair: tokenPair(account, session, successor) }
        }
        const rotatedAgoMs = session.rotatedAt === null ? Infinity : now - session.rotatedAt.getTime()
        if (presented.generation === session.refreshGeneration - 1 && sameHash(session.previousRefreshHash, presented.hash) &&
          rotatedAgoMs <= options.reuseGraceSeconds * 1000) {
          // A retry or a racing tab: the successor already issued, derived again, not a new one.
          return { kind: 'rotated' as const, pair: tokenPair(account, session, successor) }
        }
        // A genuine token of this session, but spent: someone holds a copy. Kill the session.
        const entries = await revoker.revokeSessions(tx, { ids: [session.id] }, 'refresh_token_reused')
        return { kind: 'reused' as const, entries }
      })
      if (outcome.kind === 'invalid') throw errors.invalidRefreshToken()
      if (outcome.kind === 'reused') {
        app.log.warn({ sessionId: presented.sessionId }, 'refresh token reuse detected; session revoked')
        await revoker.publish(outcome.entries)
        throw errors.refreshTokenReused()
      }
      return outcome.pair
    },

    async list (accountId: string, currentSessionId: string): Promise<Session[]> {
      const rows = await listLiveSessions(sql, accountId)
      return rows.map(row => ({
        id: row.id,
        createdAt: row.createdAt.toISOString(),
        lastUsedAt: row.lastUsedAt.toISOString(),
        expiresAt: row.expiresAt.toISOString(),
        userAgent: row.userAgent,
        ip: row.ip,
        current: row.id === currentSessionId
      }))
    },

    /** Revokes one session of the account; idempotent for its own sessions, 404 for any other. */
    async revoke (accountId: string, sessionId: string, reason: string): Promise<void> {
      const entries = await sql.begin(async tx => {
        if (await findSessionOfAccount(tx, sessionId, accountId) === undefined) return undefined
        return await revoker.revokeSessions(tx, { ids: [sessionId] }, reason)
      })
      if (entries === undefined) throw errors.sessionNotFound()
      await revoker.publish(entries)
    },

    /** Log out: revokes the session if it still exists and is live; never fails for a real token. */
    async logOut (accountId: string, sessionId: string): Promise<void> {
      const entries = await sql.begin(async tx => await revoker.revokeSessions(tx, { ids: [sessionId], accountId }, 'logged_out'))
      await revoker.publish(entries)
    },

    /** Log out everywhere: every session, and every access token issued until now. */
    async revokeAll (accountId: string): Promise<void> {
      // The account row first (the cut-off updates it), then its sessions: the lock order of refresh.
      const entries: RevocationEntry[] = await sql.begin(async tx => {
        const cutOff = await revoker.revokeAccountTokens(tx, accountId)
        return [...await revoker.revokeSessions(tx, { accountId }, 'logged_out_everywhere'), ...cutOff]
      })
      await revoker.publish(entries)
    }
  }
}

export type Sessions = ReturnType<typeof createSessions>

declare module 'fastify' {
  interface FastifyInstance { sessions: Sessions }
}

export default fp(async function sessions (app, options: SessionsOptions) {
  app.decorate('sessions', createSessions(app, options))
}, { name: 'sessions', dependencies: ['password-hasher', 'revoker', 'accounts', 'abuse-limits', 'mfa'] })
