/**
 * deploy/redis: a real redis-server started by start-redis.sh with the committed latchkey.acl, both
 * services on it as their own ACL users (the users service with its own REDIS_URL, as in compose),
 * the whole flow across them, and each user refused what it must not do.
 */
import t, { type Test } from 'tap'
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Redis } from 'ioredis'
import type { AuthRetention } from '@latchkey/auth'
import type { Profile, TokenPair } from '@latchkey/contracts'
import { signUp, startTestStack, until } from './helper.js'
import { freePort, redisServerAnswers, repositoryRoot } from './processes.js'
import { assertRefused, refusedToAuth, refusedToUsers } from './redis-acl-refusals.js'

const script = join(repositoryRoot, 'deploy/redis/start-redis.sh')

async function startRedis (t: Test, passwords: { auth: string, users: string }): Promise<number> {
  const dir = await mkdtemp(join(tmpdir(), 'latchkey-redis-acl-'))
  const port = await freePort()
  const child = spawn(script, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], {
    env: { PATH: process.env.PATH ?? '', LATCHKEY_AUTH_REDIS_PASSWORD: passwords.auth, LATCHKEY_USERS_REDIS_PASSWORD: passwords.users, LATCHKEY_REDIS_ACL_FILE: join(dir, 'latchkey.acl') },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let output = ''
  child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString() })
  child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString() })
  const exited = new Promise(resolve => { child.once('exit', resolve) })
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM')
      await exited
    }
    await rm(dir, { recursive: true, force: true })
  })
  if (!await redisServerAnswers(child, port)) throw new Error(`redis-server did not start:\n${output}`)
  t.equal((await stat(join(dir, 'latchkey.acl'))).mode & 0o777, 0o600, 'the generated ACL file is readable by its owner only')
  return port
}

t.test('deploy/redis/latchkey.acl › ASVS 13.2.1 / 13.2.2: each service on its own Redis user, allowed what it uses and nothing else', async t => {
  const passwords = { auth: randomBytes(16).toString('hex'), users: randomBytes(16).toString('hex') }
  const port = await startRedis(t, passwords)
  const urlOf = (user: string, secret: string): string => `redis://${user}:${secret}@127.0.0.1:${port}`
  const asUser = (user: string, secret: string): Redis => {
    const redis = new Redis(urlOf(user, secret), { maxRetriesPerRequest: 0 })
    t.teardown(() => { redis.disconnect() })
    return redis
  }

  // The ACL's key patterns name the default prefix: the stack uses it (this redis-server is its own).
  const client = await startTestStack(t, { REDIS_URL: urlOf('latchkey-auth', passwords.auth), REDIS_PREFIX: 'latchkey:', OUTBOX_RETENTION: '0' }, 'acl', {
    usersEnv: { REDIS_URL: urlOf('latchkey-users', passwords.users) }
  })
  const { auth, users } = client

  t.test('register, log in, verify, profile update, refresh and log out work across both services', async t => {
    const user = await signUp(client, 'Ada Lovelace')
    t.ok(await until(async () => (await client.call(users, 'GET', '/users/me', { token: user.accessToken })).status === 200, 3000) < 3000,
      'the profile appeared: the users service read the stream through its group')
    t.equal((await client.call(auth, 'GET', '/verify', { token: user.accessToken })).status, 200)
    const updated = await client.call<Profile>(users, 'PATCH', '/users/me', { token: user.accessToken, body: { bio: 'first programmer' } })
    t.equal(updated.status, 200)
    t.equal(updated.body.bio, 'first programmer')
    const refreshed = await client.call<TokenPair>(auth, 'POST', '/sessions/refresh', { body: { refreshToken: user.refreshToken } })
    t.equal(refreshed.status, 200)
    for (let attempt = 0; attempt < 3; attempt++) {
      t.equal((await client.call(auth, 'POST', '/sessions', { body: { email: user.email, password: 'not the password' } })).status, 401, 'failed log-ins are counted (Lua scripts on the counters)')
    }
    t.equal((await client.call(auth, 'DELETE', '/sessions/current', { token: refreshed.body.accessToken })).status, 204)
    t.ok(await until(async () => {
      const answer = await client.call(users, 'GET', '/users/me', { token: refreshed.body.accessToken })
      return answer.status === 401 && answer.body.code === 'token_revoked'
    }, 1000) <= 1000, 'the revocation reached the users service (subscription) within 1 s')
    for (const base of [auth, users]) t.equal((await client.call(base, 'GET', '/health/ready')).status, 200, `${base} ready`)
    const retention: AuthRetention = client.stack.auth.retention
    t.ok((await retention.runOnce()).streamEntries >= 1, 'retention reads the group, trims the stream and the dead letters')
  })

  t.test('latchkey-users may not write revocations, read counters, add events or publish', async t => {
    const redis = asUser('latchkey-users', passwords.users)
    t.ok(await redis.get('latchkey:revoked:seeded'), 'it reads the revocation store')
    await t.resolves(redis.zrange('latchkey:revoked:sessions', '0', '0'))
    await assertRefused(t, refusedToUsers(redis))
  })

  t.test('latchkey-auth may not administer Redis or touch keys outside its own', async t => {
    const redis = asUser('latchkey-auth', passwords.auth)
    t.ok(await redis.get('latchkey:revoked:seeded'), 'it reads the epoch it seeded')
    await assertRefused(t, refusedToAuth(redis))
  })

  t.test('the default user answers PING (the healthcheck) and nothing else', async t => {
    const redis = new Redis({ port, host: '127.0.0.1', enableReadyCheck: false, maxRetriesPerRequest: 0 })
    t.teardown(() => { redis.disconnect() })
    t.equal(await redis.ping(), 'PONG')
    await t.rejects(redis.get('latchkey:revoked:seeded'), /NOPERM/)
    await t.rejects(redis.subscribe('latchkey:revocations'), /NOPERM/)
  })
})
