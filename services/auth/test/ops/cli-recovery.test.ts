import t from 'tap'
import { spawn } from 'node:child_process'
import { randomBytes, randomUUID } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { Redis } from 'ioredis'
import type { Account } from '@latchkey/contracts'
import { skipWithoutRedis, testDatabaseUrl, testRedisUrl } from '@latchkey/test-support'
import { bearer, build, eventually, logIn, problemOf, registeredUser, strongPassword } from '../helper.js'
import { startMailServer, tokenOf } from '../mail-server.js'

const cli = fileURLToPath(new URL('../../dist/src/cli.js', import.meta.url))

t.test('latchkey-admin set-password and send-password-reset', { skip: await skipWithoutRedis() }, async t => {
  const schema = `auth_cli_${randomBytes(5).toString('hex')}`
  const prefix = `test:${randomUUID()}:`
  const databaseUrl = await testDatabaseUrl()
  const redisUrl = await testRedisUrl() ?? ''
  const smtp = await startMailServer(t)
  const { app, sql } = await build(t, { schema, prefix, env: { SMTP_URL: smtp.url, EMAIL_VERIFICATION: 'off' } })
  t.teardown(async () => {
    await sql`DROP SCHEMA IF EXISTS ${sql(schema)} CASCADE`
    const redis = new Redis(redisUrl)
    const keys = await redis.keys(`${prefix}*`)
    if (keys.length > 0) await redis.del(...keys)
    redis.disconnect()
  })

  async function admin (args: string[], stdin = ''): Promise<{ code: number | null, stdout: string, stderr: string }> {
    return await new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [cli, ...args], {
        env: {
          PATH: process.env.PATH ?? '', DATABASE_URL: databaseUrl, REDIS_URL: redisUrl, AUTH_DATABASE_SCHEMA: schema, REDIS_PREFIX: prefix,
          AUTH_ISSUER: 'http://auth.test', LOG_LEVEL: 'warn', SMTP_URL: smtp.url, EMAIL_VERIFICATION: 'off'
        },
        stdio: ['pipe', 'pipe', 'pipe']
      })
      let stdout = ''
      let stderr = ''
      child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString() })
      child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
      child.once('error', reject)
      child.once('exit', code => { resolve({ code, stdout, stderr }) })
      child.stdin.end(stdin)
    })
  }

  t.test('set-password sets the password from stdin, revokes every session and access token (seen by the running service), and mails the owner', async t => {
    const user = await registeredUser(app)
    const password = 'set by the operator on request'
    const result = await admin(['set-password', user.email], `${password}\n`)
    t.equal(result.code, 0, result.stderr)
    t.match(JSON.parse(result.stdout) as Account, { id: user.id, email: user.email })
    t.notOk(result.stdout.includes(password) || result.stderr.includes(password), 'the password is never printed')
    t.ok(await eventually(async () => {
      const response = await app.inject({ method: 'GET', url: '/verify', headers: bearer(user.tokens.accessToken) })
      return response.statusCode === 401 && problemOf(response).code === 'token_revoked'
    }, 1000), 'the access token dies in the running service within a second')
    t.equal((await app.inject({ method: 'POST', url: '/sessions/refresh', payload: { refreshToken: user.tokens.refreshToken } })).statusCode, 401)
    await logIn(app, user.email, password)
    t.equal((await smtp.next(user.email)).subject, 'Your password was changed')
  })

  t.test('set-password applies the password policy and exits 1; an unknown email exits 1', async t => {
    const user = await registeredUser(app)
    const weak = await admin(['set-password', user.email], 'short\n')
    t.equal(weak.code, 1)
    t.match(weak.stderr, /validation_failed/)
    await logIn(app, user.email, strongPassword)
    const unknown = await admin(['set-password', 'nobody@example.test'], 'a long enough passphrase\n')
    t.equal(unknown.code, 1)
  })

  t.test('send-password-reset mails the owner a working reset link', async t => {
    const user = await registeredUser(app)
    const result = await admin(['send-password-reset', user.email])
    t.equal(result.code, 0, result.stderr)
    const mail = await smtp.next(user.email)
    t.equal(mail.subject, 'Reset your password')
    const password = 'chosen by the owner after all'
    t.equal((await app.inject({ method: 'POST', url: '/password-resets/confirm', payload: { token: tokenOf(mail), password } })).statusCode, 204)
    await logIn(app, user.email, password)
  })
})
