import t from 'tap'
import { Writable } from 'node:stream'
import { randomBytes } from 'node:crypto'
import { closePostgres, migrationsDirectoryOf, openServiceDatabase } from '@latchkey/postgres-kit'
import { createInProcessRevocationStore } from '@latchkey/revocation-publisher'
import { createInProcessAccountEvents } from '@latchkey/account-events'
import { testDatabaseFor } from '@latchkey/test-support'
import { buildAuthApp, logRedaction } from '../src/app.js'
import { loadAuthConfig } from '../src/config.js'
import { bearer, logIn, register, strongPassword } from './helper.js'

t.test('secrets and tokens never reach the logs, even at trace level (ASVS 16.2.5)', async t => {
  const lines: string[] = []
  const stream = new Writable({ write (chunk: Buffer, _encoding, done) { lines.push(chunk.toString()); done() } })
  const schema = `auth_t_${randomBytes(5).toString('hex')}`
  const database = await testDatabaseFor(schema)
  const { sql } = await openServiceDatabase({ url: database.url, migrationUrl: database.migrationUrl, schema, poolMode: database.poolMode, migrations: migrationsDirectoryOf(import.meta.url), max: 3 })
  const feed = createInProcessRevocationStore()
  const previousKey = randomBytes(32).toString('base64')
  const config = loadAuthConfig({ ...database.env, AUTH_DATABASE_SCHEMA: schema, AUTH_ISSUER: 'http://auth.test', SECRETS_KEY: randomBytes(32).toString('base64'), SECRETS_KEY_PREVIOUS: previousKey })
  const app = await buildAuthApp(config, { sql, revocationFeed: feed, revocationPublisher: feed, accountEvents: createInProcessAccountEvents() }, {
    logger: { level: 'trace', stream, redact: { paths: logRedaction, censor: '[redacted]' } }
  })
  t.teardown(async () => {
    await app.close()
    await feed.close()
    await sql`DROP SCHEMA ${sql(schema)} CASCADE`
    await closePostgres(sql)
    await database.release()
  })
  await app.ready()
  const { email } = await register(app)
  const pair = await logIn(app, email)
  await app.inject({ method: 'GET', url: '/verify', headers: bearer(pair.accessToken) })
  await app.inject({ method: 'GET', url: '/verify', headers: bearer(`${pair.accessToken}x`) })
  await app.inject({ method: 'POST', url: '/sessions/refresh', payload: { refreshToken: pair.refreshToken } })
  await app.inject({ method: 'POST', url: '/sessions', payload: { email, password: 'a wrong password here' } })
  // Should a configuration ever be logged, whole or one object down, its key-encryption keys are not.
  app.log.info({ SECRETS_KEY: config.SECRETS_KEY, SECRETS_KEY_PREVIOUS: config.SECRETS_KEY_PREVIOUS }, 'configuration')
  app.log.info({ config: { SECRETS_KEY: config.SECRETS_KEY, SECRETS_KEY_PREVIOUS: config.SECRETS_KEY_PREVIOUS } }, 'configuration')
  const log = lines.join('')
  t.ok(lines.length > 5, 'requests were logged')
  for (const secret of [config.SECRETS_KEY ?? '', previousKey, strongPassword, 'a wrong password here', pair.accessToken, pair.refreshToken, pair.accessToken.split('.')[2] ?? '']) {
    t.notOk(log.includes(secret), 'a secret appears nowhere in the log')
  }
})
