#!/usr/bin/env node
/**
 * `latchkey-admin`: administration of the auth service from a shell, against the same database
 * and Redis as the running service (same environment variables). It builds the auth app with its
 * real connections, without listening, and calls the same domain operations as the admin HTTP
 * routes: revocations are written in the same transaction and published through the revocation
 * feed, account events go through the outbox, exactly as when an administrator uses the API.
 *
 *   latchkey-admin create-admin <email> [--name <name>]   password on stdin (first line)
 *   latchkey-admin promote <email>           add the admin role (its current access tokens die)
 *   latchkey-admin disable <email>           disable the account and revoke every session
 *   latchkey-admin enable <email>            enable a disabled account
 *   latchkey-admin revoke-sessions <email>   log the account out everywhere
 *   latchkey-admin set-password <email>      password on stdin; every session and access token dies
 *   latchkey-admin send-password-reset <email>   mail the owner a reset link
 *   latchkey-admin reset-mfa <email>         remove the second factor; every session dies
 *   latchkey-admin rotate-signing-key [--revoke-old]   a new signing key (see docs/operations.md)
 *   latchkey-admin rekey-secrets             re-seal every secret at rest under SECRETS_KEY
 *
 * Prints the resulting account (or the command's summary) as JSON on stdout; exit 0 on success, 1 on failure, 2 on misuse.
 */
import { createInterface } from 'node:readline'
import { parseArgs } from 'node:util'
import type { FastifyInstance } from 'fastify'
import type { Sql } from 'postgres'
import type { Account } from '@latchkey/contracts'
import { ConfigError, MAX_TOKEN_LEEWAY_SECONDS } from '@latchkey/contracts'
import { loadAuthConfig, type AuthConfig } from './config.js'
import { buildAuthApp } from './app.js'
import { openAuthRuntime } from './runtime.js'
import { rekeySealedSecrets } from './plugins/app/secrets/sealed-secrets.js'
import { loadSecretBox } from './plugins/app/secrets/secret-box.js'

const USAGE = `usage: latchkey-admin <command> <email>
  create-admin <email> [--name <name>]   create an administrator; password on stdin (first line)
  promote <email>                        add the admin role
  disable <email>                        disable the account and revoke every session
  enable <email>                         enable a disabled account
  revoke-sessions <email>                revoke every session and access token of the account
  set-password <email>                   set the password (stdin, first line); revokes every session
  send-password-reset <email>            mail the owner a password reset link
  reset-mfa <email>                      remove the account's second factor and recovery codes; revokes every session
  rotate-signing-key [--revoke-old]      publish a new signing key now, sign with it after KEY_PUBLISH_DELAY, retire
                                         the old one once its tokens have expired; --revoke-old (key compromised):
                                         sign with the new key at once and refuse every token of the old ones now
  rekey-secrets                          re-seal every secret at rest sealed under a SECRETS_KEY_PREVIOUS key under
                                         SECRETS_KEY (see docs/operations.md); prints the counts per kind
Configuration comes from the same environment variables as the service (DATABASE_URL, REDIS_URL, ...).`

class UsageError extends Error {}
class CommandError extends Error {}

async function readPassword (): Promise<string> {
  if (process.stdin.isTTY) throw new UsageError('the password is read from stdin: pipe it in (printf %s "$PASSWORD" | latchkey-admin create-admin ...)')
  const lines = createInterface({ input: process.stdin })
  const first = await lines[Symbol.asyncIterator]().next()
  lines.close()
  if (first.done === true) throw new UsageError('the password is expected on stdin')
  return first.value
}

async function accountByEmail (app: FastifyInstance, email: string): Promise<string> {
  const account = await app.accounts.findByEmail(email)
  if (account === undefined) throw new CommandError(`no account with email ${email}`)
  return account.id
}

const commands: Record<string, (app: FastifyInstance, email: string, options: { name: string, password: string }) => Promise<Account>> = {
  async 'create-admin' (app, email, { name, password }) {
    if (await app.accounts.findByEmail(email) !== undefined) throw new CommandError(`an account with email ${email} already exists and create-admin never promotes one: nothing changed; to make it an administrator on purpose, run latchkey-admin promote ${email}`)
    return await app.accounts.register({ email, password, name }, { roles: ['user', 'admin'], emailVerified: true })
  },
  async promote (app, email) {
    const id = await accountByEmail(app, email)
    const account = await app.accounts.get(id)
    return await app.accounts.update(id, { roles: [...new Set([...account.roles, 'admin'])] })
  },
  async disable (app, email) {
    return await app.accounts.update(await accountByEmail(app, email), { status: 'disabled' })
  },
  async enable (app, email) {
    return await app.accounts.update(await accountByEmail(app, email), { status: 'active' })
  },
  async 'reset-mfa' (app, email) {
    const id = await accountByEmail(app, email)
    await app.mfa.reset(id)
    return await app.accounts.get(id)
  },
  async 'revoke-sessions' (app, email) {
    const id = await accountByEmail(app, email)
    await app.sessions.revokeAll(id)
    return await app.accounts.get(id)
  },
  async 'set-password' (app, email, { password }) {
    const id = await accountByEmail(app, email)
    await app.recovery.setPassword(id, password)
    await app.mail.flush()
    return await app.accounts.get(id)
  },
  async 'send-password-reset' (app, email) {
    const id = await accountByEmail(app, email)
    await app.recovery.sendPasswordReset(id)
    // Delivered now if the mail server answers; otherwise it stays queued for the running service.
    await app.mail.flush()
    return await app.accounts.get(id)
  }
}

async function rotate (revokeOld: boolean): Promise<number> {
  const config = loadAuthConfig()
  if (config.JWT_PRIVATE_KEY !== undefined) {
    throw new CommandError('JWT_PRIVATE_KEY is set, so the service signs with that key alone and never reads the keys in the database: rotate it yourself (a new JWT_PRIVATE_KEY on every replica), or unset it to let the service generate and rotate its keys')
  }
  return await withApp(config, async app => {
    const rotation = await app.signingKeys.rotate({
      publishDelaySeconds: config.KEY_PUBLISH_DELAY,
      // Any guard may allow up to MAX_TOKEN_LEEWAY_SECONDS past exp, not only this service's leeway.
      tokenLifetimeSeconds: config.ACCESS_TOKEN_TTL + MAX_TOKEN_LEEWAY_SECONDS,
      revokeOld
    })
    // Relayed at once (the running replicas' relays would within a second anyway).
    await app.revoker.publish(rotation.revocations)
    const { revocations: _entries, ...result } = rotation
    process.stdout.write(`${JSON.stringify(result)}\n`)
    return 0
  })
}

/**
 * Re-keying: the app's start already refused a key it lacks; every row of a previous key is
 * re-sealed under SECRETS_KEY. Key ids and counts only on stdout, never a key or a secret.
 */
async function rekey (): Promise<number> {
  const config = loadAuthConfig()
  const box = await loadSecretBox(config)
  return await withApp(config, async (_app, sql) => {
    const { resealed, remaining } = await rekeySealedSecrets(sql, box)
    process.stdout.write(`${JSON.stringify({ keyId: box.keyId, resealed, remaining })}\n`)
    const left = Object.entries(remaining).filter(([, count]) => count > 0)
    if (left.length === 0) return 0
    throw new CommandError(`${left.map(([kind, count]) => `${count} ${kind}`).join(', ')} still sealed under another key: a replica still seals with an old SECRETS_KEY? Give every replica the new SECRETS_KEY, then run rekey-secrets again`)
  })
}

async function withApp (config: AuthConfig, run: (app: FastifyInstance, sql: Sql) => Promise<number>): Promise<number> {
  const runtime = await openAuthRuntime(config, {
    info: () => {},
    warn: (obj, msg) => { process.stderr.write(`${JSON.stringify({ level: 'warn', msg, ...obj })}\n`) }
  })
  let app: FastifyInstance | undefined
  try {
    // Log to stderr only: stdout carries the result. A refused start (secrets under a key it
    // lacks) still closes the connections, so the process exits.
    app = await buildAuthApp(config, runtime.deps, { logger: { level: 'warn', stream: process.stderr } })
    await app.ready()
    return await run(app, runtime.deps.sql)
  } finally {
    await app?.close()
    await runtime.close()
  }
}

async function main (argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({ args: argv, allowPositionals: true, options: { name: { type: 'string' }, 'revoke-old': { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } })
  if (values.help === true) {
    process.stdout.write(`${USAGE}\n`)
    return 0
  }
  if (positionals[0] === 'rotate-signing-key') {
    if (positionals.length > 1 || values.name !== undefined) throw new UsageError(USAGE)
    return await rotate(values['revoke-old'] === true)
  }
  if (values['revoke-old'] !== undefined) throw new UsageError(USAGE)
  if (positionals[0] === 'rekey-secrets') {
    if (positionals.length > 1 || values.name !== undefined) throw new UsageError(USAGE)
    return await rekey()
  }
  const [command, email, ...rest] = positionals
  const run = command === undefined ? undefined : commands[command]
  if (run === undefined || email === undefined || rest.length > 0) throw new UsageError(USAGE)
  const password = command === 'create-admin' || command === 'set-password' ? await readPassword() : ''

  return await withApp(loadAuthConfig(), async app => {
    const account = await run(app, email, { name: values.name ?? 'Administrator', password })
    process.stdout.write(`${JSON.stringify(account)}\n`)
    return 0
  })
}

try {
  process.exitCode = await main(process.argv.slice(2))
} catch (error) {
  if (error instanceof UsageError || error instanceof ConfigError) {
    process.stderr.write(`${error.message}\n`)
    process.exitCode = 2
  } else if (error instanceof CommandError) {
    process.stderr.write(`latchkey-admin: ${error.message}\n`)
    process.exitCode = 1
  } else {
    // Domain problems (a weak password, ...) carry a safe message and a code.
    const problem = error as { code?: unknown, message?: unknown, errors?: unknown }
    process.stderr.write(`latchkey-admin: ${String(problem.message)}${typeof problem.code === 'string' ? ` (${problem.code})` : ''}${problem.errors === undefined ? '' : ` ${JSON.stringify(problem.errors)}`}\n`)
    process.exitCode = 1
  }
}
