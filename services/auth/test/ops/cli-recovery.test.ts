import t from 'tap'
import type { Account } from '@latchkey/contracts'
import { skipWithoutRedis } from '@latchkey/test-support'
import { bearer, eventually, logIn, problemOf, registeredUser, strongPassword } from '../helper.js'
import { startMailServer, tokenOf } from '../mail-server.js'
import { buildWithCli } from './cli-helper.js'

t.test('latchkey-admin set-password and send-password-reset', { skip: await skipWithoutRedis() }, async t => {
  const smtp = await startMailServer(t)
  const { app, admin } = await buildWithCli(t, { SMTP_URL: smtp.url, EMAIL_VERIFICATION: 'off' })

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
