/**
 * Account recovery and email ownership: password resets (requested by the user, an administrator
 * or the CLI, confirmed with a mailed token), setting a password directly (CLI), and email
 * verification (including the confirmation of a pending email change). Every write is one
 * transaction that also queues its mails and records its revocations; mails are delivered and
 * revocations published after the commit, never inside the request's wait for SMTP.
 */
import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import type { Sql, TransactionSql } from 'postgres'
import { HttpProblem } from '@latchkey/fastify-problem'
import type { RevocationEntry } from '@latchkey/fastify-jwt-guard'
import { errors } from '../../../errors.js'
import { findAccountByEmail, findAccountById, normalizeEmail, updateAccount, type AccountRecord } from '../accounts/accounts-repository.js'
import { passwordProblems } from '../accounts/password-policy.js'
import type { CounterStore } from '../abuse/counter-store.js'
import { counterKey } from '../abuse/abuse-limits.js'
import { queueMail } from '../mail/mail-outbox.js'
import { deleteExpiredTokens, deleteResetTokens, findLiveToken, useToken } from './account-tokens.js'

export interface RecoveryOptions {
  sql: Sql
  store: CounterStore
  passwordMinLength: number
  /** Mails of one kind per address (or account) per 15 minutes: LOGIN_FAILURES_MAX. */
  mailsPerWindow: number
}

const MAIL_WINDOW_MS = 15 * 60 * 1000

export function createRecovery (app: FastifyInstance, options: RecoveryOptions) {
  const { sql, store } = options
  const { passwordHasher, revoker, abuseLimits, mail } = app

  function deliverSoon (): void {
    // Not awaited: the answer never waits for the mail server (and so cannot time it).
    mail.flush().catch((error: unknown) => { app.log.warn({ err: error }, 'mail flush deferred to the sweep') })
  }

  /** Counted per key whether or not an account exists, so a 429 says nothing about one. */
  async function throttle (key: string, detail: string): Promise<void> {
    let count: number, resetInMs: number
    try {
      ({ count, resetInMs } = await store.hit(key, MAIL_WINDOW_MS))
    } catch {
      throw new HttpProblem(503, 'service_unavailable', 'Abuse limits cannot be checked right now; retry shortly', { headers: { 'retry-after': '1' } })
    }
    if (count > options.mailsPerWindow) {
      throw new HttpProblem(429, 'rate_limited', detail, { headers: { 'retry-after': String(Math.max(1, Math.ceil(resetInMs / 1000))) } })
    }
  }

  function checkPasswordPolicy (password: string, email: string): void {
    const problems = passwordProblems(password, { path: '/password', minLength: options.passwordMinLength, email })
    if (problems.length > 0) throw new HttpProblem(400, 'validation_failed', 'The password does not meet the password rules', { errors: problems })
  }

  /**
   * The new password, in one transaction with: every session and access token of the account
   * revoked, outstanding reset tokens voided, and the "password changed" mail queued.
   */
  async function replacePassword (account: AccountRecord, passwordHash: string, extra: (tx: TransactionSql) => Promise<boolean>): Promise<boolean> {
    const entries = await sql.begin(async tx => {
      if (!await extra(tx)) return undefined
      await updateAccount(tx, account.id, { passwordHash })
      await deleteResetTokens(tx, account.id)
      const entries: RevocationEntry[] = [
        ...await revoker.revokeSessions(tx, { accountId: account.id }, 'password_reset'),
        ...await revoker.revokeAccountTokens(tx, account.id)
      ]
      await queueMail(tx, { kind: 'password-changed', accountId: account.id })
      return entries
    })
    if (entries === undefined) return false
    await revoker.publish(entries)
    deliverSoon()
    return true
  }

  return {
    deliverSoon,

    /**
     * Whether the owner of an address may get one more "someone tried to register" mail. Asked
     * for every registration, taken address or not, so both cost the same; never fails the request.
     */
    async mayMailRegistrationAttempt (email: string): Promise<boolean> {
      try {
        return (await store.hit(counterKey('register-mail', normalizeEmail(email)), MAIL_WINDOW_MS)).count <= options.mailsPerWindow
      } catch {
        return false
      }
    },

    /** Records a pending change (replacing any earlier one) and mails the new and the old address; the old one stays the log-in name. */
    async requestEmailChange (account: AccountRecord, email: string): Promise<AccountRecord> {
      const same = normalizeEmail(email) === normalizeEmail(account.email)
      const updated = await sql.begin(async tx => {
        const [row] = await tx<Array<{ id: string }>>`
          UPDATE accounts SET pending_email = ${same ? null : email.trim()}, updated_at = now() WHERE id = ${account.id} RETURNING id`
        if (row === undefined) return undefined
        if (!same) {
          await queueMail(tx, { kind: 'email-change', accountId: account.id })
          await queueMail(tx, { kind: 'email-change-notice', accountId: account.id, address: account.email })
        }
        return await findAccountById(tx, account.id)
      })
      if (updated === undefined) throw errors.accountNotFound()
      deliverSoon()
      return updated
    },

    /** Same work and the same answer whether or not the address has an account (ASVS 6.3.8). */
    async requestPasswordReset (email: string): Promise<void> {
      await throttle(counterKey('reset-mail', normalizeEmail(email)), 'Too many reset requests for this address; retry later')
      await queueMail(sql, { kind: 'password-reset', address: email })
      deliverSoon()
    },

    /** An administrator or the CLI starts a reset; the account owner still chooses the password (ASVS 6.4.6). */
    async sendPasswordReset (accountId: string): Promise<void> {
      if (await findAccountById(sql, accountId) === undefined) throw errors.accountNotFound()
      await queueMail(sql, { kind: 'password-reset', accountId })
      deliverSoon()
    },

    async confirmPasswordReset (token: string, password: string, ip: string): Promise<void> {
      const bound = await findLiveToken(sql, token, ['password_reset'])
      const account = bound === undefined ? undefined : await findAccountById(sql, bound.accountId)
      if (bound === undefined || account === undefined) throw errors.tokenInvalidOrExpired()
      checkPasswordPolicy(password, account.email)
      const passwordHash = await passwordHasher.hashPassword(password)
      const done = await replacePassword(account, passwordHash, async tx => {
        const used = await useToken(tx, token, ['password_reset'])
        if (used === undefined) return false
        // The link reached this address: that proves it, as a verification mail would.
        if (used.email !== null && normalizeEmail(used.email) === normalizeEmail(account.email)) {
          await tx`UPDATE accounts SET email_verified = true WHERE id = ${account.id}`
        }
        return true
      })
      if (!done) throw errors.tokenInvalidOrExpired()
      // The owner proved control of the mailbox: a block brute force earned must not keep them out.
      await abuseLimits.clearLoginFailures(account.email, ip)
    },

    /** CLI: set the password directly (policy applies); every session and access token dies. */
    async setPassword (accountId: string, password: string): Promise<void> {
      const account = await findAccountById(sql, accountId)
      if (account === undefined) throw errors.accountNotFound()
      checkPasswordPolicy(password, account.email)
      await replacePassword(account, await passwordHasher.hashPassword(password), async () => true)
      await abuseLimits.clearLoginFailures(account.email)
    },

    async requestEmailVerification (accountId: string): Promise<void> {
      await throttle(counterKey('verify-mail', accountId), 'Too many verification mails for this account; retry later')
      await queueMail(sql, { kind: 'email-verification', accountId })
      deliverSoon()
    },

    /** Verifies the address the token was mailed to, or applies the pending change it confirms. */
    async confirmEmail (token: string): Promise<void> {
      const outcome = await sql.begin(async tx => {
        const used = await useToken(tx, token, ['email_verification', 'email_change'])
        if (used === undefined || used.email === null) return 'invalid' as const
        const account = await findAccountById(tx, used.accountId, { forUpdate: true })
        if (account === undefined) return 'invalid' as const
        if (used.purpose === 'email_verification') {
          if (normalizeEmail(account.email) !== normalizeEmail(used.email)) return 'invalid' as const
          await tx`UPDATE accounts SET email_verified = true, updated_at = now() WHERE id = ${account.id}`
          return 'done' as const
        }
        if (account.pendingEmail === null || normalizeEmail(account.pendingEmail) !== normalizeEmail(used.email)) return 'invalid' as const
        const owner = await findAccountByEmail(tx, used.email)
        if (owner !== undefined && owner.id !== account.id) return 'taken' as const
        await updateAccount(tx, account.id, { email: used.email })
        await tx`UPDATE accounts SET email_verified = true, pending_email = NULL WHERE id = ${account.id}`
        return 'done' as const
      }).catch((error: unknown) => {
        if ((error as { code?: string }).code === '23505') return 'taken' as const
        throw error
      })
      if (outcome === 'invalid') throw errors.tokenInvalidOrExpired()
      if (outcome === 'taken') throw errors.emailTaken()
    },

    async deleteExpiredTokens (): Promise<void> {
      await deleteExpiredTokens(sql)
    }
  }
}

export type Recovery = ReturnType<typeof createRecovery>

declare module 'fastify' {
  interface FastifyInstance { recovery: Recovery }
}

export default fp(async function recovery (app, options: RecoveryOptions) {
  const recovery = createRecovery(app, options)
  app.decorate('recovery', recovery)
  const sweep = (): void => { recovery.deleteExpiredTokens().catch((error: unknown) => { app.log.warn({ err: error }, 'expired tokens not deleted') }) }
  let timer: NodeJS.Timeout | undefined
  app.addHook('onReady', async () => {
    timer = setInterval(sweep, 60 * 60 * 1000)
    timer.unref()
  })
  app.addHook('onClose', async () => { clearInterval(timer) })
}, { name: 'recovery', dependencies: ['password-hasher', 'revoker', 'abuse-limits', 'mail'] })
