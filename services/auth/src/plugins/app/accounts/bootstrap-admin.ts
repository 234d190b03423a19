/**
 * The first administrator from BOOTSTRAP_ADMIN_EMAIL / BOOTSTRAP_ADMIN_PASSWORD: created once, and
 * a restart (or another replica) finding it already there is fine. An email that belongs to a
 * non-admin account stops the start instead: whoever can set the environment must not be able to
 * turn someone's account into an administrator (and keep its password) without saying so.
 */
import type { FastifyInstance } from 'fastify'
import { ConfigError } from '@latchkey/contracts'

const NOT_AN_ADMIN = 'BOOTSTRAP_ADMIN_EMAIL belongs to an existing account that is not an administrator; ' +
  'it is never promoted silently: promote it on purpose with `latchkey-admin promote <email>`, or choose another email'

export async function ensureBootstrapAdmin (app: FastifyInstance, email: string, password: string): Promise<void> {
  const existing = await app.accounts.findByEmail(email)
  if (existing === undefined) {
    try {
      await app.accounts.register({ email, password, name: 'Administrator' }, { roles: ['user', 'admin'], emailVerified: true })
      app.log.info('bootstrap administrator created')
      return
    } catch (error) {
      // Another replica created it first: judged below like any existing account.
      if ((error as { code?: unknown }).code !== 'email_taken') throw error
    }
  }
  const account = existing ?? await app.accounts.findByEmail(email)
  if (account === undefined || !account.roles.includes('admin')) throw new ConfigError([NOT_AN_ADMIN])
}
