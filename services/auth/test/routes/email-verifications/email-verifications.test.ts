import t from 'tap'
import { randomBytes } from 'node:crypto'
import type { Account } from '@latchkey/contracts'
import { bearer, build, logIn, problemOf, register, registeredUser, strongPassword } from '../../helper.js'
import { startMailServer, tokenOf } from '../../mail-server.js'

function claimsOf (accessToken: string): { email_verified?: boolean } {
  return JSON.parse(Buffer.from(accessToken.split('.')[1] ?? '', 'base64url').toString()) as { email_verified?: boolean }
}

t.test('email verification (EMAIL_VERIFICATION=optional, the default)', async t => {
  const smtp = await startMailServer(t)
  const { app, sql } = await build(t, { env: { SMTP_URL: smtp.url, LOGIN_FAILURES_MAX: '2' } })
  const confirm = async (token: string) => await app.inject({ method: 'POST', url: '/email-verifications/confirm', payload: { token } })

  t.test('registration mails a verification link; log in works before it is used, with emailVerified false and the claim email_verified false', async t => {
    const user = await registeredUser(app)
    const mail = await smtp.next(user.email)
    t.equal(mail.subject, 'Confirm your email address')
    t.equal(claimsOf(user.tokens.accessToken).email_verified, false)
    const me = await app.inject({ method: 'GET', url: '/accounts/me', headers: bearer(user.tokens.accessToken) })
    t.equal(me.json<Account>().emailVerified, false)
  })

  t.test('POST /email-verifications/confirm › marks the email verified (204); new access tokens carry email_verified true', async t => {
    const { id, email } = await register(app)
    const response = await confirm(tokenOf(await smtp.next(email)))
    t.equal(response.statusCode, 204)
    const [row] = await sql<Array<{ emailVerified: boolean }>>`SELECT email_verified FROM accounts WHERE id = ${id}`
    t.equal(row?.emailVerified, true)
    const tokens = await logIn(app, email)
    t.equal(claimsOf(tokens.accessToken).email_verified, true)
    t.equal((await app.inject({ method: 'GET', url: '/accounts/me', headers: bearer(tokens.accessToken) })).json<Account>().emailVerified, true)
  })

  t.test('POST /email-verifications/confirm › a used token answers 400 token_invalid_or_expired (ASVS 6.4.1)', async t => {
    const { email } = await register(app)
    const token = tokenOf(await smtp.next(email))
    t.equal((await confirm(token)).statusCode, 204)
    const again = await confirm(token)
    t.equal(again.statusCode, 400)
    t.equal(problemOf(again).code, 'token_invalid_or_expired')
  })

  t.test('POST /email-verifications/confirm › an expired or unknown token answers 400 token_invalid_or_expired and verifies nothing', async t => {
    const { id, email } = await register(app)
    const token = tokenOf(await smtp.next(email))
    const [ttl] = await sql<Array<{ seconds: number }>>`SELECT extract(epoch FROM expires_at - created_at)::int AS seconds FROM account_tokens WHERE account_id = ${id}`
    t.equal(ttl?.seconds, 86400, 'EMAIL_VERIFICATION_TTL defaults to 86400 s')
    await sql`UPDATE account_tokens SET expires_at = now() - interval '1 second' WHERE account_id = ${id}`
    const expired = await confirm(token)
    t.equal(expired.statusCode, 400)
    t.equal(problemOf(expired).code, 'token_invalid_or_expired')
    const unknown = await confirm(randomBytes(32).toString('base64url'))
    t.equal(problemOf(unknown).code, 'token_invalid_or_expired')
    const [row] = await sql<Array<{ emailVerified: boolean }>>`SELECT email_verified FROM accounts WHERE id = ${id}`
    t.equal(row?.emailVerified, false)
  })

  t.test('POST /email-verifications › sends a new link (202) to the caller; throttled per account (LOGIN_FAILURES_MAX per 15 minutes)', async t => {
    const user = await registeredUser(app)
    await smtp.next(user.email)
    const codes: number[] = []
    for (let i = 0; i < 3; i++) codes.push((await app.inject({ method: 'POST', url: '/email-verifications', headers: bearer(user.tokens.accessToken) })).statusCode)
    t.same(codes, [202, 202, 429])
    const second = await smtp.next(user.email, { skip: 1 })
    t.equal((await confirm(tokenOf(second))).statusCode, 204)
  })

  t.test('POST /email-verifications › answers 401 without a bearer token', async t => {
    const response = await app.inject({ method: 'POST', url: '/email-verifications' })
    t.equal(response.statusCode, 401)
  })
})

t.test('EMAIL_VERIFICATION=required', async t => {
  const smtp = await startMailServer(t)
  const { app } = await build(t, { env: { SMTP_URL: smtp.url, EMAIL_VERIFICATION: 'required' } })

  t.test('POST /sessions › an unverified account with the right password gets 403 email_unverified; a wrong password still gets 401 invalid_credentials (ASVS 6.3.8)', async t => {
    const { email } = await register(app)
    const right = await app.inject({ method: 'POST', url: '/sessions', payload: { email, password: strongPassword } })
    t.equal(right.statusCode, 403)
    t.equal(problemOf(right).code, 'email_unverified')
    const wrong = await app.inject({ method: 'POST', url: '/sessions', payload: { email, password: 'not the right passphrase' } })
    t.equal(wrong.statusCode, 401)
    t.equal(problemOf(wrong).code, 'invalid_credentials')
    const token = tokenOf(await smtp.next(email))
    t.equal((await app.inject({ method: 'POST', url: '/email-verifications/confirm', payload: { token } })).statusCode, 204)
    const tokens = await logIn(app, email)
    t.equal(claimsOf(tokens.accessToken).email_verified, true)
  })
})

t.test('EMAIL_VERIFICATION=off sends no verification mail at registration', async t => {
  const smtp = await startMailServer(t)
  const { app, sql } = await build(t, { env: { SMTP_URL: smtp.url, EMAIL_VERIFICATION: 'off' } })
  const { id, email } = await register(app)
  await logIn(app, email)
  await app.mail.flush()
  t.same(await sql`SELECT 1 FROM mail_outbox WHERE account_id = ${id}`, [])
  t.same(smtp.to(email), [])
})
