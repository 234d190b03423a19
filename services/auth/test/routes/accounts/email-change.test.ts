import t from 'tap'
import type { Account } from '@latchkey/contracts'
import { bearer, build, logIn, problemOf, registeredUser, strongPassword, uniqueEmail } from '../../helper.js'
import { startMailServer, tokenOf } from '../../mail-server.js'

t.test('PATCH /accounts/me with a new email (EMAIL_VERIFICATION=optional)', async t => {
  const smtp = await startMailServer(t)
  const { app } = await build(t, { env: { SMTP_URL: smtp.url } })
  const change = async (accessToken: string, email: string) =>
    await app.inject({ method: 'PATCH', url: '/accounts/me', headers: bearer(accessToken), payload: { email, currentPassword: strongPassword } })
  const confirm = async (token: string) => await app.inject({ method: 'POST', url: '/email-verifications/confirm', payload: { token } })
  const changeMail = async (to: string): Promise<string> => {
    const deadline = Date.now() + 10_000
    while (Date.now() < deadline) {
      const mail = smtp.to(to).find(mail => mail.subject === 'Confirm your new email address')
      if (mail !== undefined) return tokenOf(mail)
      await new Promise(resolve => setTimeout(resolve, 20))
    }
    throw new Error('no email change mail')
  }

  t.test('answers 202 with pendingEmail; the old address stays the log-in name and the pending one cannot log in before confirmation', async t => {
    const user = await registeredUser(app)
    const next = uniqueEmail()
    const response = await change(user.tokens.accessToken, next)
    t.equal(response.statusCode, 202)
    t.match(response.json<Account>(), { email: user.email, pendingEmail: next })
    const pending = await app.inject({ method: 'POST', url: '/sessions', payload: { email: next, password: strongPassword } })
    t.equal(pending.statusCode, 401, 'the pending address is not a log-in name')
    t.equal(problemOf(pending).code, 'invalid_credentials')
    await logIn(app, user.email)
  })

  t.test('mails a confirmation link to the new address and a notice (without a link) to the old one (ASVS 6.3.7)', async t => {
    const user = await registeredUser(app)
    const next = uniqueEmail()
    await change(user.tokens.accessToken, next)
    await changeMail(next)
    // Found by subject: the registration's verification mail to the same address may be relayed after it.
    const notice = await smtp.next(user.email, { subject: 'Your email address is being changed' })
    t.equal(notice.subject, 'Your email address is being changed')
    t.notMatch(notice.text, /token=/)
  })

  t.test('POST /email-verifications/confirm with the new address\'s token applies the change: the new address logs in, verified; the old one no longer', async t => {
    const user = await registeredUser(app)
    const next = uniqueEmail()
    await change(user.tokens.accessToken, next)
    const response = await confirm(await changeMail(next))
    t.equal(response.statusCode, 204)
    const tokens = await logIn(app, next)
    const me = (await app.inject({ method: 'GET', url: '/accounts/me', headers: bearer(tokens.accessToken) })).json<Account>()
    t.match(me, { email: next, emailVerified: true })
    t.notOk('pendingEmail' in me)
    t.equal((await app.inject({ method: 'POST', url: '/sessions', payload: { email: user.email, password: strongPassword } })).statusCode, 401)
  })

  t.test('a newer change replaces the pending one: the older link no longer applies', async t => {
    const user = await registeredUser(app)
    const first = uniqueEmail()
    const second = uniqueEmail()
    await change(user.tokens.accessToken, first)
    const firstToken = await changeMail(first)
    await change(user.tokens.accessToken, second)
    const stale = await confirm(firstToken)
    t.equal(stale.statusCode, 400)
    t.equal(problemOf(stale).code, 'token_invalid_or_expired')
    t.equal((await confirm(await changeMail(second))).statusCode, 204)
    await logIn(app, second)
  })

  t.test('answers 409 at confirmation when another account took the address meanwhile', async t => {
    const user = await registeredUser(app)
    const next = uniqueEmail()
    await change(user.tokens.accessToken, next)
    const token = await changeMail(next)
    await registeredUser(app).then(async () => await app.inject({ method: 'POST', url: '/accounts', payload: { email: next, password: strongPassword, name: 'Squatter' } }))
    const response = await confirm(token)
    t.equal(response.statusCode, 409)
    t.equal(problemOf(response).code, 'email_taken')
    await logIn(app, user.email)
  })
})
