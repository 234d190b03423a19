/**
 * BOOTSTRAP_ADMIN_EMAIL at the process level: the real `latchkey-auth` entry started on a schema
 * where the email already belongs to an ordinary account must stop with a message an operator can
 * act on, a non-zero exit, and no change to that account.
 */
import t from 'tap'
import type { Account } from '@latchkey/contracts'
import { bearer, build, logIn, registeredUser } from '../helper.js'
import { startServer } from './cli-helper.js'

t.test('latchkey-auth with BOOTSTRAP_ADMIN_EMAIL of an existing non-admin account exits 1 with a message naming the variable and promotes no one (ASVS 6.3.2, 8.2.1)', async t => {
  const { app, config, schema, database } = await build(t)
  const user = await registeredUser(app)
  const bootstrapPassword = 'a bootstrap password nobody may read'
  const result = await startServer({
    ...database.env,
    AUTH_DATABASE_SCHEMA: schema,
    AUTH_PORT: '0',
    METRICS_PORT: '0',
    AUTH_ISSUER: 'http://auth.test',
    LOG_LEVEL: 'silent',
    SECRETS_KEY: config.SECRETS_KEY ?? '',
    BOOTSTRAP_ADMIN_EMAIL: user.email,
    BOOTSTRAP_ADMIN_PASSWORD: bootstrapPassword
  })
  t.equal(result.code, 1, 'the start fails')
  t.match(result.stderr, /BOOTSTRAP_ADMIN_EMAIL belongs to an existing account that is not an administrator/)
  t.match(result.stderr, /latchkey-admin promote/, 'says how to promote it on purpose')
  t.notMatch(result.stderr + result.stdout, bootstrapPassword, 'never echoes the password')
  const me = await app.inject({ method: 'GET', url: '/accounts/me', headers: bearer(user.tokens.accessToken) })
  t.equal(me.statusCode, 200, 'its access tokens still work: no role change revoked them')
  t.same(me.json<Account>().roles, ['user'], 'not promoted')
  await logIn(app, user.email)
})
