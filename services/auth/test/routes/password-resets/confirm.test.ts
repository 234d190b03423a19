import t from 'tap'
import { Writable } from 'node:stream'
import { randomBytes } from 'node:crypto'
import { Redis } from 'ioredis'
import { skipWithoutRedis, testRedisUrl } from '@latchkey/test-support'
import { bearer, build, eventually, logIn, problemOf, register, registeredUser, strongPassword } from '../../helper.js'
import { resetTokenFor, startMailServer } from '../../mail-server.js'

const newPassword = 'a brand new passphrase for this account'

t.test('POST /password-resets/confirm', async t => {
  // One service and one mail server for the whole file; every test has its own account.
  const smtp = await startMailServer(t)
  const lines: string[] = []
  const stream = new Writable({ write (chunk: Buffer, _encoding, done) { lines.push(chunk.toString()); done() } })
  const { app, sql, buildReplica, prefix } = await build(t, { env: { SMTP_URL: smtp.url, EMAIL_VERIFICATION: 'off', LOGIN_FAILURES_MAX: '3' }, logStream: stream })

  t.test('sets the password with the mailed token; the old password stops working, and a "password changed" mail follows (ASVS 6.3.7)', async t => {
    const { email } = await register(app)
    const token = await resetTokenFor(app, smtp, email)
    const response = await app.inject({ method: 'POST', url: '/password-resets/confirm', payload: { token, password: newPassword } })
    t.equal(response.statusCode, 204)
    await logIn(app, email, newPassword)
    const old = await app.inject({ method: 'POST', url: '/sessions', payload: { email, password: strongPassword } })
    t.equal(old.statusCode, 401)
    const notice = await smtp.next(email, { subject: 'Your password was changed' })
    t.equal(notice.subject, 'Your password was changed')
  })

  t.test('a token works once: the second use answers 400 token_invalid_or_expired (ASVS 6.4.1)', async t => {
    const { email } = await register(app)
    const token = await resetTokenFor(app, smtp, email)
    t.equal((await app.inject({ method: 'POST', url: '/password-resets/confirm', payload: { token, password: newPassword } })).statusCode, 204)
    const again = await app.inject({ method: 'POST', url: '/password-resets/confirm', payload: { token, password: 'another fresh passphrase here' } })
    t.equal(again.statusCode, 400)
    t.equal(problemOf(again).code, 'token_invalid_or_expired')
    await logIn(app, email, newPassword)
  })

  t.test('two racing uses of one token: exactly one succeeds (ASVS 6.4.1)', async t => {
    const { email } = await register(app)
    const token = await resetTokenFor(app, smtp, email)
    const answers = await Promise.all(['first racing passphrase', 'second racing passphrase'].map(async password =>
      (await app.inject({ method: 'POST', url: '/password-resets/confirm', payload: { token, password } })).statusCode))
    t.same(answers.sort(), [204, 400])
  })

  t.test('an expired token answers 400 token_invalid_or_expired and changes nothing', async t => {
    const { id, email } = await register(app)
    const token = await resetTokenFor(app, smtp, email)
    const [row] = await sql<Array<{ seconds: number }>>`SELECT extract(epoch FROM expires_at - created_at)::int AS seconds FROM account_tokens WHERE account_id = ${id}`
    t.equal(row?.seconds, 1800, 'PASSWORD_RESET_TTL defaults to 1800 s')
    await sql`UPDATE account_tokens SET expires_at = now() - interval '1 second' WHERE account_id = ${id}`
    const response = await app.inject({ method: 'POST', url: '/password-resets/confirm', payload: { token, password: newPassword } })
    t.equal(response.statusCode, 400)
    t.equal(problemOf(response).code, 'token_invalid_or_expired')
    await logIn(app, email)
  })

  t.test('an unknown token answers 400 token_invalid_or_expired; a malformed one 400 validation_failed', async t => {
    const unknown = await app.inject({ method: 'POST', url: '/password-resets/confirm', payload: { token: randomBytes(32).toString('base64url'), password: newPassword } })
    t.equal(unknown.statusCode, 400)
    t.equal(problemOf(unknown).code, 'token_invalid_or_expired')
    const malformed = await app.inject({ method: 'POST', url: '/password-resets/confirm', payload: { token: 'short', password: newPassword } })
    t.equal(malformed.statusCode, 400)
    t.equal(problemOf(malformed).code, 'validation_failed')
  })

  t.test('a newer reset invalidates the older one', async t => {
    const { email } = await register(app)
    const older = await resetTokenFor(app, smtp, email)
    const newer = await resetTokenFor(app, smtp, email)
    const stale = await app.inject({ method: 'POST', url: '/password-resets/confirm', payload: { token: older, password: newPassword } })
    t.equal(stale.statusCode, 400)
    t.equal(problemOf(stale).code, 'token_invalid_or_expired')
    t.equal((await app.inject({ method: 'POST', url: '/password-resets/confirm', payload: { token: newer, password: newPassword } })).statusCode, 204)
  })

  t.test('a password change invalidates outstanding reset tokens', async t => {
    const user = await registeredUser(app)
    const token = await resetTokenFor(app, smtp, user.email)
    const change = await app.inject({ method: 'PUT', url: '/accounts/me/password', headers: bearer(user.tokens.accessToken), payload: { currentPassword: strongPassword, newPassword } })
    t.equal(change.statusCode, 204)
    const response = await app.inject({ method: 'POST', url: '/password-resets/confirm', payload: { token, password: 'an attacker chosen passphrase' } })
    t.equal(response.statusCode, 400)
    t.equal(problemOf(response).code, 'token_invalid_or_expired')
    await logIn(app, user.email, newPassword)
  })

  t.test('the password policy applies, and a refused password leaves the token usable', async t => {
    const { email } = await register(app)
    const token = await resetTokenFor(app, smtp, email)
    const weak = await app.inject({ method: 'POST', url: '/password-resets/confirm', payload: { token, password: 'short' } })
    t.equal(weak.statusCode, 400)
    t.equal(problemOf(weak).code, 'validation_failed')
    t.equal(problemOf(weak).errors?.[0]?.path, '/password')
    t.equal((await app.inject({ method: 'POST', url: '/password-resets/confirm', payload: { token, password: newPassword } })).statusCode, 204)
  })

  t.test('kills every session and access token of the account: an attacker\'s refresh token and access token die, here and on a second replica within a second (ASVS 7.4.3)', async t => {
    const replica = await buildReplica()
    const attacker = await registeredUser(app)
    const second = await logIn(app, attacker.email)
    const token = await resetTokenFor(app, smtp, attacker.email)
    t.equal((await replica.inject({ method: 'GET', url: '/verify', headers: bearer(second.accessToken) })).statusCode, 200)
    t.equal((await app.inject({ method: 'POST', url: '/password-resets/confirm', payload: { token, password: newPassword } })).statusCode, 204)
    for (const pair of [attacker.tokens, second]) {
      const refresh = await app.inject({ method: 'POST', url: '/sessions/refresh', payload: { refreshToken: pair.refreshToken } })
      t.equal(refresh.statusCode, 401, 'the refresh token is dead')
      const verify = await app.inject({ method: 'GET', url: '/verify', headers: bearer(pair.accessToken) })
      t.equal(problemOf(verify).code, 'token_revoked', 'the access token is dead at once')
      t.ok(await eventually(async () => (await replica.inject({ method: 'GET', url: '/verify', headers: bearer(pair.accessToken) })).statusCode === 401, 1000),
        'and on the other replica within a second')
    }
    const fresh = await logIn(app, attacker.email, newPassword)
    t.equal((await app.inject({ method: 'GET', url: '/verify', headers: bearer(fresh.accessToken) })).statusCode, 200, 'a new log in works')
  })

  t.test('lifts the failed-log-in block of the account (the forgot-password flow works while an account is locked)', { skip: await skipWithoutRedis() }, async t => {
    const { email } = await register(app)
    for (let i = 0; i < 3; i++) await app.inject({ method: 'POST', url: '/sessions', payload: { email, password: 'wrong guess number one' } })
    // The first block lasts a second; stretch it to ten minutes so only the reset can lift it.
    const redis = new Redis(await testRedisUrl() ?? '')
    t.teardown(() => { redis.disconnect() })
    const blocks = await redis.keys(`${prefix}abuse:login-block:*`)
    t.ok(blocks.length > 0, 'the failures left a block mark')
    for (const key of blocks) await redis.pexpire(key, 600_000)
    const blocked = await app.inject({ method: 'POST', url: '/sessions', payload: { email, password: strongPassword } })
    t.equal(blocked.statusCode, 429, 'the account is blocked')
    const token = await resetTokenFor(app, smtp, email)
    t.equal((await app.inject({ method: 'POST', url: '/password-resets/confirm', payload: { token, password: newPassword } })).statusCode, 204)
    await logIn(app, email, newPassword)
  })

  t.test('a verification token is not a reset token: tokens are bound to their purpose', async t => {
    const user = await registeredUser(app)
    t.equal((await app.inject({ method: 'POST', url: '/email-verifications', headers: bearer(user.tokens.accessToken) })).statusCode, 202)
    const mail = await smtp.next(user.email)
    const token = /#token=([A-Za-z0-9_-]{43})/.exec(mail.text ?? '')?.[1] ?? ''
    const response = await app.inject({ method: 'POST', url: '/password-resets/confirm', payload: { token, password: newPassword } })
    t.equal(response.statusCode, 400)
    t.equal(problemOf(response).code, 'token_invalid_or_expired')
  })

  t.test('stores only hashes of tokens, and neither the token nor the password reaches the logs (ASVS 16.2.5)', async t => {
    const { id, email } = await register(app)
    const token = await resetTokenFor(app, smtp, email)
    await app.inject({ method: 'POST', url: '/password-resets/confirm', payload: { token, password: newPassword } })
    await app.inject({ method: 'POST', url: '/password-resets/confirm', payload: { token, password: newPassword } })
    const stored = await sql<Array<{ hash: Buffer }>>`SELECT hash FROM account_tokens WHERE account_id = ${id}`
    t.equal(stored.length, 1)
    t.notOk(stored.some(row => row.hash.toString('base64url') === token || row.hash.toString() === token), 'not the token itself')
    const log = lines.join('')
    t.ok(log.includes('mail sent'), 'the deliveries were logged')
    t.notOk(log.includes(token), 'no token in the logs')
    t.notOk(log.includes(newPassword), 'no password in the logs')
  })
})
