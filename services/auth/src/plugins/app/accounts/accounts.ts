/**
 * Account operations: registration, email and password changes, deletion and the admin changes
 * of status and roles. Each is one transaction that also records its revocations and account
 * events; both are published after the commit.
 */
import fp from 'fastify-plugin'
import { randomUUID } from 'node:crypto'
import type { Sql, TransactionSql } from 'postgres'
import { Type } from '@sinclair/typebox'
import { UuidSchema, type Account, type AdminUpdateAccountBody, type ListAccountsQuery, type RegisterBody } from '@latchkey/contracts'
import type { RevocationEntry } from '@latchkey/fastify-jwt-guard'
import { HttpProblem } from '@latchkey/fastify-problem'
import { pageCursor } from '@latchkey/service-kit'
import { errors } from '../../../errors.js'
import { recordEvent } from '../events/outbox.js'
import { queueMail } from '../mail/mail-outbox.js'
import { deleteResetTokens, markEmailVerified } from '../recovery/account-tokens.js'
import { passwordProblems } from './password-policy.js'
import {
  countOtherActiveAdministrators, deleteAccount, findAccountByEmail, findAccountById, findAccountForLogIn, insertAccount, listAccounts,
  lockAdministrators, toAccount, updateAccount, type AccountRecord
} from './accounts-repository.js'
import type { FastifyInstance } from 'fastify'

/** The page cursor of GET /accounts: created_at as PostgreSQL prints it (see listAccounts), then the id. */
const accountsCursor = pageCursor(Type.Tuple([
  Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2}(\\.\\d{1,6})?[+-]\\d{2}(:\\d{2})?$' }),
  UuidSchema
]))

export interface AccountsOptions {
  sql: Sql
  passwordMinLength: number
  /** EMAIL_VERIFICATION: a verification mail at registration unless off; email changes pending unless off. */
  emailVerification: 'off' | 'optional' | 'required'
}

export function createAccounts (app: FastifyInstance, options: AccountsOptions) {
  const { sql, emailVerification } = options
  const { passwordHasher, revoker, outbox, abuseLimits, recovery } = app
  // With verification required, registering a taken address must look like a new registration (ASVS 6.3.8).
  const registrationHidesAccounts = emailVerification === 'required'

  function checkPasswordPolicy (password: string, path: string, email: string): void {
    const problems = passwordProblems(password, { path, minLength: options.passwordMinLength, email })
    if (problems.length > 0) throw new HttpProblem(400, 'validation_failed', 'The password does not meet the password rules', { errors: problems })
  }

  async function afterCommit (entries: RevocationEntry[], events: boolean): Promise<void> {
    await revoker.publish(entries)
    if (events) await outbox.flush().catch((error: unknown) => { app.log.warn({ err: error }, 'outbox flush deferred to the sweep') })
  }

  async function requireAccount (id: string): Promise<AccountRecord> {
    const account = await findAccountById(sql, id)
    if (account === undefined) throw errors.accountNotFound()
    return account
  }

  /** Re-authentication counts as a log-in of the account from `ip` (its failed-log-in limits, 429 once blocked). */
  async function requirePassword (account: AccountRecord, password: string, ip: string): Promise<void> {
    const passed = await abuseLimits.checkPassword(account.email, ip, async () => await passwordHasher.verifyPassword(account.passwordHash, password) || undefined)
    if (passed === undefined) throw errors.invalidPassword()
  }

  function isActiveAdministrator (account: { status: string, roles: string[] }): boolean {
    return account.status === 'active' && account.roles.includes('admin')
  }

  /** Refuses (409 last_admin) a change that takes away the last active administrator. */
  async function assertNotLastAdministrator (tx: TransactionSql, before: AccountRecord, after: { status: string, roles: string[] } | undefined): Promise<void> {
    if (!isActiveAdministrator(before) || (after !== undefined && isActiveAdministrator(after))) return
    if (await countOtherActiveAdministrators(tx, before.id) === 0) throw errors.lastAdmin()
  }

  /** The account-wide cut-off kills its access tokens; its sessions go with the row (cascade). */
  async function removeAccount (id: string): Promise<boolean> {
    const entries = await sql.begin(async tx => {
      await lockAdministrators(tx)
      // Locked first: a refresh or log-in holding the row (FOR SHARE) finishes and signs before the
      // cut-off below is taken, so the cut-off kills what it issued; later ones find no account.
      const before = await findAccountById(tx, id, { forUpdate: true })
      if (before === undefined) return undefined
      await assertNotLastAdministrator(tx, before, undefined)
      const entries = await revoker.revokeAccountTokens(tx, id)
      if (!await deleteAccount(tx, id)) return undefined
      await recordEvent(tx, { type: 'account.deleted', data: { id } })
      return entries
    })
    if (entries === undefined) return false
    await afterCommit(entries, true)
    return true
  }

  return {
    /** `ip` is the client's address for registrations over HTTP (abuse limits); absent for bootstrap. */
    async register (body: RegisterBody, options: { roles?: string[], ip?: string, emailVerified?: boolean } = {}): Promise<Account> {
      const roles = options.roles ?? ['user']
      if (options.ip !== undefined) await abuseLimits.assertRegistrationAllowed(options.ip)
      checkPasswordPolicy(body.password, '/password', body.email)
      const hideConflict = registrationHidesAccounts && options.ip !== undefined
      // A probe of an existing email is counted before any hashing (429 once blocked). Not when
      // registration hides taken addresses: there it must run exactly as for a new one.
      if (options.ip !== undefined && !hideConflict && await findAccountByEmail(sql, body.email) !== undefined) {
        await abuseLimits.recordRegistrationConflict(options.ip)
        throw errors.emailTaken()
      }
      const passwordHash = await passwordHasher.hashPassword(body.password)
      const mailOwner = hideConflict && await recovery.mayMailRegistrationAttempt(body.email)
      const account = await sql.begin(async tx => {
        const account = await insertAccount(tx, { email: body.email, passwordHash, roles })
        if (account === undefined) {
          if (mailOwner) await queueMail(tx, { kind: 'registration-attempt', address: body.email })
          return undefined
        }
        await recordEvent(tx, { type: 'account.created', data: { id: account.id, name: body.name.trim() } })
        // An operator (bootstrap, CLI) vouches for the address it creates an account with.
        if (options.emailVerified === true) account.emailVerified = await markEmailVerified(tx, account.id)
        else if (emailVerification !== 'off') await queueMail(tx, { kind: 'email-verification', accountId: account.id })
        return account
      })
      if (account === undefined && hideConflict) {
        recovery.deliverSoon()
        const now = new Date().toISOString()
        return { id: randomUUID(), email: body.email.trim(), roles, status: 'active', emailVerified: false, createdAt: now, updatedAt: now }
      }
      if (account === undefined) {
        if (options.ip !== undefined) await abuseLimits.recordRegistrationConflict(options.ip)
        throw errors.emailTaken()
      }
      await afterCommit([], true)
      if (emailVerification !== 'off') recovery.deliverSoon()
      return toAccount(account)
    },

    async get (id: string): Promise<Account> {
      return toAccount(await requireAccount(id))
    },

    async findByEmail (email: string): Promise<AccountRecord | undefined> {
      return await findAccountByEmail(sql, email)
    },

    /** The account and whether it has a confirmed second factor, for log in. */
    async findForLogIn (email: string): Promise<(AccountRecord & { hasSecondFactor: boolean }) | undefined> {
      return await findAccountForLogIn(sql, email)
    },

    /** Applied at once with EMAIL_VERIFICATION=off; otherwise pending until confirmed from the new address. */
    async changeEmail (id: string, email: string, currentPassword: string, ip: string): Promise<Account> {
      const account = await requireAccount(id)
      let taken = false
      // Whether an email is taken is answered only after the password, and a taken one counts as
      // a failed check: the answer is no oracle to query at volume.
      const passed = await abuseLimits.checkPassword(account.email, ip, async () => {
        if (!await passwordHasher.verifyPassword(account.passwordHash, currentPassword)) return undefined
        const existing = await findAccountByEmail(sql, email)
        taken = existing !== undefined && existing.id !== id
        return taken ? undefined : true
      })
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- set inside the check callback, which TypeScript's narrowing does not follow
      if (taken) throw errors.emailTaken()
      if (passed === undefined) throw errors.invalidPassword()
      if (emailVerification !== 'off') return toAccount(await recovery.requestEmailChange(account, email))
      try {
        const updated = await updateAccount(sql, id, { email })
        if (updated === undefined) throw errors.accountNotFound()
        return toAccount(updated)
      } catch (error) {
        if ((error as { code?: string }).code === '23505') throw errors.emailTaken()
        throw error
      }
    },

    /** Changes the password and revokes every other session; the caller's stays. */
    async changePassword (id: string, currentSessionId: string, currentPassword: string, newPassword: string, ip: string): Promise<void> {
      const account = await requireAccount(id)
      await requirePassword(account, currentPassword, ip)
      checkPasswordPolicy(newPassword, '/newPassword', account.email)
      const passwordHash = await passwordHasher.hashPassword(newPassword)
      const entries = await sql.begin(async tx => {
        await updateAccount(tx, id, { passwordHash })
        await deleteResetTokens(tx, id)
        return await revoker.revokeSessions(tx, { accountId: id, exceptId: currentSessionId }, 'password_changed')
      })
      await afterCommit(entries, false)
    },

    async deleteSelf (id: string, password: string, ip: string): Promise<void> {
      await requirePassword(await requireAccount(id), password, ip)
      await removeAccount(id)
    },

    async deleteById (id: string): Promise<void> {
      if (!await removeAccount(id)) throw errors.accountNotFound()
    },

    async list (query: ListAccountsQuery): Promise<{ items: Account[], nextCursor: string | null }> {
      const limit = query.limit ?? 20
      let after: { createdAt: string, id: string } | undefined
      if (query.cursor !== undefined) {
        const [createdAt, id] = accountsCursor.decode(query.cursor)
        after = { createdAt, id }
      }
      const rows = await listAccounts(sql, { limit: limit + 1, after, email: query.email })
      const page = rows.slice(0, limit)
      const last = page.at(-1)
      return {
        items: page.map(toAccount),
        nextCursor: rows.length > limit && last !== undefined ? accountsCursor.encode([last.position, last.id]) : null
      }
    },

    /** Admin change: disabling revokes every session; a change of roles kills current access tokens. */
    async update (id: string, body: AdminUpdateAccountBody): Promise<Account> {
      const roles = body.roles === undefined ? undefined : [...new Set(['user', ...body.roles])]
      const result = await sql.begin(async tx => {
        if (body.status === 'disabled' || (roles !== undefined && !roles.includes('admin'))) await lockAdministrators(tx)
        const before = await findAccountById(tx, id, { forUpdate: true })
        if (before === undefined) return undefined
        await assertNotLastAdministrator(tx, before, { status: body.status ?? before.status, roles: roles ?? before.roles })
        const entries: RevocationEntry[] = []
        const statusChanged = body.status !== undefined && body.status !== before.status
        const rolesChanged = roles !== undefined && [...roles].sort().join() !== [...before.roles].sort().join()
        if (statusChanged && body.status === 'disabled') {
          entries.push(...await revoker.revokeSessions(tx, { accountId: id }, 'account_disabled'))
        }
        if ((statusChanged && body.status === 'disabled') || rolesChanged) {
          entries.push(...await revoker.revokeAccountTokens(tx, id))
        }
        if (statusChanged) await recordEvent(tx, { type: body.status === 'disabled' ? 'account.disabled' : 'account.enabled', data: { id } })
        const updated = await updateAccount(tx, id, { status: body.status, roles })
        return updated === undefined ? undefined : { updated, entries, statusChanged }
      })
      if (result === undefined) throw errors.accountNotFound()
      await afterCommit(result.entries, result.statusChanged)
      return toAccount(result.updated)
    }
  }
}

export type Accounts = ReturnType<typeof createAccounts>

declare module 'fastify' {
  interface FastifyInstance { accounts: Accounts }
}

export default fp(async function accounts (app, options: AccountsOptions) {
  app.decorate('accounts', createAccounts(app, options))
}, { name: 'accounts', dependencies: ['password-hasher', 'revoker', 'outbox', 'abuse-limits', 'recovery'] })
