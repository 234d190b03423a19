import t from 'tap'
import { randomUUID } from 'node:crypto'
import { bearer, build, logIn, problemOf, registeredUser, strongPassword } from '../../helper.js'
import { startMailServer, tokenOf } from '../../mail-server.js'

t.test('POST /accounts/{id}/password-reset', async t => {
  const smtp = await startMailServer(t)
  const { app, sql } = await build(t, { env: { SMTP_URL: smtp.url, EMAIL_VERIFICATION: 'off' } })
  const admin = await registeredUser(app)
  await sql`UPDATE accounts SET roles = ARRAY['user', 'admin'] WHERE id = ${admin.id}`
  const adminToken = (await logIn(app, admin.email)).accessToken

  t.test('an administrator starts a reset (202): the owner gets the link and chooses the password; the administrator sees neither (ASVS 6.4.6)', async t => {
    const user = await registeredUser(app)
    const response = await app.inject({ method: 'POST', url: `/accounts/${user.id}/password-reset`, headers: bearer(adminToken) })
    t.equal(response.statusCode, 202)
    t.same(response.json(), { status: 'accepted' })
    const mail = await smtp.next(user.email)
    t.equal(mail.subject, 'Reset your password')
    await logIn(app, user.email)
    const password = 'the owner chose this passphrase'
    t.equal((await app.inject({ method: 'POST', url: '/password-resets/confirm', payload: { token: tokenOf(mail), password } })).statusCode, 204)
    await logIn(app, user.email, password)
  })

  t.test('answers 404 for an unknown account and 403 for a caller without the admin role', async t => {
    const unknown = await app.inject({ method: 'POST', url: `/accounts/${randomUUID()}/password-reset`, headers: bearer(adminToken) })
    t.equal(unknown.statusCode, 404)
    t.equal(problemOf(unknown).code, 'not_found')
    const user = await registeredUser(app)
    const forbidden = await app.inject({ method: 'POST', url: `/accounts/${admin.id}/password-reset`, headers: bearer(user.tokens.accessToken) })
    t.equal(forbidden.statusCode, 403)
    t.ok(strongPassword)
  })
})
