/**
 * latchkey-admin rekey-secrets, with real processes on a real database: SECRETS_KEY replaced by a
 * new key while the old one is SECRETS_KEY_PREVIOUS, every sealed row re-sealed, then the old key
 * removed. Sessions, access tokens and TOTP log-ins live through it; without the old key and
 * before re-keying, the service refuses to start and nothing changes.
 */
import t from 'tap'
import { randomBytes } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import type { TokenPair } from '@latchkey/contracts'
import { skipWithoutRedis } from '@latchkey/test-support'
import { createSecretBox } from '../../src/plugins/app/secrets/secret-box.js'
import { sealedColumns } from '../../src/plugins/app/secrets/sealed-secrets.js'
import { bearer, build, registeredUser, strongPassword } from '../helper.js'
import { currentStep, totp } from '../totp-reference.js'
import { buildWithCli, startServer } from './cli-helper.js'

async function totpLogIn (app: FastifyInstance, email: string, code: string): Promise<number> {
  const first = await app.inject({ method: 'POST', url: '/sessions', payload: { email, password: strongPassword } })
  const { mfaToken } = first.json<{ mfaToken: string }>()
  return (await app.inject({ method: 'POST', url: '/sessions/mfa', payload: { mfaToken, code } })).statusCode
}

t.test('latchkey-admin rekey-secrets replaces SECRETS_KEY without losing a session, a key or a second factor (ASVS 13.3.1, 13.3.4)', { skip: await skipWithoutRedis() }, async t => {
  const auth = await buildWithCli(t)
  const oldKey = auth.config.SECRETS_KEY ?? ''
  const newKey = randomBytes(32).toString('base64')
  const oldId = createSecretBox(Buffer.from(oldKey, 'base64')).keyId
  const newId = createSecretBox(Buffer.from(newKey, 'base64')).keyId
  const noKeyIn = (text: string, what: string): void => {
    for (const key of [oldKey, newKey]) t.notOk(text.includes(key) || text.includes(Buffer.from(key, 'base64').toString('base64url')), `${what}: no key`)
  }

  // Under the old key: a signed-in user, a user with a confirmed TOTP factor, one with a pending enrolment.
  const user = await registeredUser(auth.app)
  // Two users with a TOTP factor: each logs in with a code once, so no code waits for a later time step.
  const enrolled = async (): Promise<{ email: string, secret: string, step: number }> => {
    const mfaUser = await registeredUser(auth.app)
    const { secret } = (await auth.app.inject({ method: 'POST', url: '/accounts/me/mfa/totp', headers: bearer(mfaUser.tokens.accessToken), payload: { password: strongPassword } })).json<{ secret: string }>()
    const step = currentStep()
    t.equal((await auth.app.inject({ method: 'POST', url: '/accounts/me/mfa/totp/confirm', headers: bearer(mfaUser.tokens.accessToken), payload: { code: totp(secret, step) } })).statusCode, 200)
    return { email: mfaUser.email, secret, step }
  }
  const mfaUsers = [await enrolled(), await enrolled()]
  /** A code of a step later than the confirmation's (each step is accepted once), within ±1 step of now. */
  const codeOf = (user: { secret: string, step: number }): string => totp(user.secret, Math.max(currentStep(), user.step + 1))
  const pending = await registeredUser(auth.app)
  t.equal((await auth.app.inject({ method: 'POST', url: '/accounts/me/mfa/totp', headers: bearer(pending.tokens.accessToken), payload: { password: strongPassword } })).statusCode, 201)

  /** Every sealed column of this schema, as a dump would show it. */
  const envelopes = async (): Promise<Array<{ kind: string, id: string, envelope: string }>> => {
    const rows: Array<{ kind: string, id: string, envelope: string }> = []
    for (const { kind, table, key, column } of sealedColumns) {
      const found = await auth.sql<Array<{ id: string, envelope: string }>>`
        SELECT ${auth.sql(key)}::text AS id, ${auth.sql(column)} AS envelope FROM ${auth.sql(table)} WHERE ${auth.sql(column)} IS NOT NULL ORDER BY 1`
      rows.push(...found.map(row => ({ kind, ...row })))
    }
    return rows
  }
  const before = await envelopes()
  t.same([...new Set(before.map(row => row.kind))].sort(), ['serverSecrets', 'signingKeys', 'totpSecrets'], 'every kind of sealed secret is there')
  t.equal(before.filter(row => row.kind === 'totpSecrets').length, 3)
  t.ok(before.every(row => row.envelope.startsWith(`v1.${oldId}.`)), 'all under the old key')

  t.test('with the new key and without the old one, the service refuses to start and the CLI refuses, naming key ids only; no row changes', async t => {
    const started = await startServer({
      ...auth.database.env,
      AUTH_DATABASE_SCHEMA: auth.schema,
      AUTH_PORT: '0',
      METRICS_PORT: '0',
      AUTH_ISSUER: 'http://auth.test',
      LOG_LEVEL: 'info',
      SECRETS_KEY: newKey
    })
    t.equal(started.code, 1, 'the start fails')
    t.match(started.stderr, new RegExp(`sealed under a key neither holds \\(1 signingKeys under key id ${oldId}, 1 serverSecrets under key id ${oldId}, 3 totpSecrets under key id ${oldId}; SECRETS_KEY is ${newId}\\)`))
    t.match(started.stderr, /SECRETS_KEY_PREVIOUS.*latchkey-admin rekey-secrets\. Nothing was changed/)
    noKeyIn(started.stdout + started.stderr, 'server output')
    const refused = await auth.admin(['rekey-secrets'], '', { SECRETS_KEY: newKey })
    t.equal(refused.code, 2, 'a configuration problem')
    t.match(refused.stderr, /SECRETS_KEY_PREVIOUS/)
    noKeyIn(refused.stdout + refused.stderr, 'CLI output')
    t.same(await envelopes(), before, 'every sealed row untouched')
  })

  t.test('with the old key as SECRETS_KEY_PREVIOUS: replicas work before, during and after; every row is re-sealed under the new key, once', async t => {
    const env = { SECRETS_KEY: newKey, SECRETS_KEY_PREVIOUS: ` ${randomBytes(32).toString('base64url')},${oldKey} ` }
    const replica = (await build(t, { schema: auth.schema, prefix: auth.prefix, env })).app
    t.equal((await replica.inject({ method: 'GET', url: '/verify', headers: bearer(user.tokens.accessToken) })).statusCode, 200, 'before: old tokens verify at a replica of the new key')

    const { code, stdout, stderr } = await auth.admin(['rekey-secrets'], '', env)
    t.equal(code, 0, stderr)
    t.same(JSON.parse(stdout), { keyId: newId, resealed: { signingKeys: 1, serverSecrets: 1, totpSecrets: 3 }, remaining: { signingKeys: 0, serverSecrets: 0, totpSecrets: 0 } })
    noKeyIn(stdout + stderr, 'CLI output')
    const after = await envelopes()
    t.same(after.map(row => [row.kind, row.id]), before.map(row => [row.kind, row.id]), 'the same rows')
    t.ok(after.every(row => row.envelope.startsWith(`v1.${newId}.`)), 'every sealed column names the new key')
    const oldBox = createSecretBox(Buffer.from(oldKey, 'base64'))
    for (const row of after) {
      const context = sealedColumns.find(column => column.kind === row.kind)?.context(row.id) ?? ''
      t.throws(() => oldBox.open(row.envelope, context), /unknown key/, `${row.kind} ${row.id}: nothing the old key alone opens`)
    }

    for (const app of [auth.app, replica]) {
      t.equal((await app.inject({ method: 'GET', url: '/verify', headers: bearer(user.tokens.accessToken) })).statusCode, 200, 'old access tokens still verify')
    }
    const refreshed = await replica.inject({ method: 'POST', url: '/sessions/refresh', payload: { refreshToken: user.tokens.refreshToken } })
    t.equal(refreshed.statusCode, 200, 'an existing session refreshes: the same refresh-token secret')
    user.tokens = refreshed.json<TokenPair>()
    t.equal(await totpLogIn(replica, mfaUsers[0]?.email ?? '', codeOf(mfaUsers[0] ?? { secret: '', step: 0 })), 201, 'TOTP log-in works: the same TOTP secret')

    const again = await auth.admin(['rekey-secrets'], '', env)
    t.equal(again.code, 0, again.stderr)
    t.same(JSON.parse(again.stdout).resealed, { signingKeys: 0, serverSecrets: 0, totpSecrets: 0 }, 'idempotent: nothing left to re-seal')
    t.same(await envelopes(), after, 'a second run changes no row')
  })

  t.test('with SECRETS_KEY_PREVIOUS removed, everything still works: every row was re-sealed', async t => {
    const replica = (await build(t, { schema: auth.schema, prefix: auth.prefix, env: { SECRETS_KEY: newKey } })).app
    t.equal((await replica.inject({ method: 'GET', url: '/verify', headers: bearer(user.tokens.accessToken) })).statusCode, 200)
    t.equal((await replica.inject({ method: 'POST', url: '/sessions/refresh', payload: { refreshToken: user.tokens.refreshToken } })).statusCode, 200, 'the session refreshes')
    t.equal(await totpLogIn(replica, mfaUsers[1]?.email ?? '', codeOf(mfaUsers[1] ?? { secret: '', step: 0 })), 201, 'TOTP log-in works')
    const result = await auth.admin(['rekey-secrets'], '', { SECRETS_KEY: newKey })
    t.equal(result.code, 0, result.stderr)
  })
})
