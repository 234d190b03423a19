/**
 * Composes each queued mail when it is sent: looks the account up as it is now, mints the mail's
 * token (so the outbox never holds one) and fills the template. A mail that no longer applies (the
 * account is gone or disabled, the email already verified, the change withdrawn, no account for a
 * reset address) composes to nothing and is dropped.
 */
import type { Sql } from 'postgres'
import { findAccountByEmail, findAccountById, type AccountRecord } from '../accounts/accounts-repository.js'
import type { ComposedMail, MailComposer, MailRow } from '../mail/mail-outbox.js'
import { renderMail, type MailKind, type MailTemplate } from '../mail/mail-templates.js'
import { mintToken } from './account-tokens.js'

export interface RecoveryMailOptions {
  sql: Sql
  templates: Record<MailKind, MailTemplate>
  passwordResetUrl: string
  emailVerificationUrl: string
  passwordResetTtl: number
  emailVerificationTtl: number
}

function link (template: string, token: string): string {
  return template.replaceAll('{token}', encodeURIComponent(token))
}

export function createRecoveryMailComposer (options: RecoveryMailOptions): MailComposer {
  const { sql, templates } = options
  const compose = (kind: MailKind, to: string, values: Record<string, string> = {}): ComposedMail => ({ to, ...renderMail(templates[kind], values) })
  const minutes = (seconds: number): string => String(Math.round(seconds / 60))

  async function accountOf (row: MailRow): Promise<AccountRecord | undefined> {
    if (row.accountId !== null) return await findAccountById(sql, row.accountId)
    if (row.address !== null) return await findAccountByEmail(sql, row.address)
    return undefined
  }

  return async function composeRecoveryMail (row) {
    const account = await accountOf(row)
    if (account === undefined) return undefined
    switch (row.kind) {
      case 'password-reset': {
        if (account.status !== 'active') return undefined
        const token = await mintToken(sql, { accountId: account.id, purpose: 'password_reset', email: account.email, ttlSeconds: options.passwordResetTtl })
        return compose(row.kind, account.email, { link: link(options.passwordResetUrl, token), expiresInMinutes: minutes(options.passwordResetTtl) })
      }
      case 'email-verification': {
        if (account.emailVerified) return undefined
        const token = await mintToken(sql, { accountId: account.id, purpose: 'email_verification', email: account.email, ttlSeconds: options.emailVerificationTtl })
        return compose(row.kind, account.email, { link: link(options.emailVerificationUrl, token), expiresInMinutes: minutes(options.emailVerificationTtl) })
      }
      case 'email-change': {
        if (account.pendingEmail === null) return undefined
        const token = await mintToken(sql, { accountId: account.id, purpose: 'email_change', email: account.pendingEmail, ttlSeconds: options.emailVerificationTtl })
        return compose(row.kind, account.pendingEmail, { link: link(options.emailVerificationUrl, token), expiresInMinutes: minutes(options.emailVerificationTtl) })
      }
      case 'email-change-notice':
        return compose(row.kind, row.address ?? account.email)
      case 'password-changed':
      case 'registration-attempt':
        return compose(row.kind, account.email)
    }
  }
}
