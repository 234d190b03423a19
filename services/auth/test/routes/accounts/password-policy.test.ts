import t from 'tap'
import { bearer, build, problemOf, registeredUser, strongPassword, uniqueEmail } from '../../helper.js'

t.test('password rules (NIST SP 800-63B, ASVS 6.2)', async t => {
  const { app, sql } = await build(t, { env: { PASSWORD_MIN_LENGTH: '8' } })
  const attempt = async (password: string, email = uniqueEmail()) =>
    await app.inject({ method: 'POST', url: '/accounts', payload: { email, password, name: 'P' } })

  t.test('refuse a common password, naming the rule, and create nothing (ASVS 6.2.4, 6.2.12)', async t => {
    const email = uniqueEmail()
    const response = await attempt('password1', email)
    t.equal(response.statusCode, 400)
    t.equal(problemOf(response).code, 'validation_failed')
    t.match(problemOf(response).errors, [{ path: '/password', message: /rule: common_password/ }])
    t.equal((await sql`SELECT 1 FROM accounts WHERE email_normalized = ${email}`).length, 0)
    t.match(problemOf(await attempt('QWERTY123456')).errors, [{ message: /rule: common_password/ }], 'case does not help')
  })

  t.test('refuse a password containing the email\'s name part (ASVS 6.2.11)', async t => {
    const response = await attempt('my-margaret-is-great', 'Margaret@example.test')
    t.match(problemOf(response).errors, [{ path: '/password', message: /rule: contains_email/ }])
  })

  t.test('refuse a password containing the product name (ASVS 6.1.2)', async t => {
    t.match(problemOf(await attempt('my LatchKey password')).errors, [{ message: /rule: context_word/ }])
  })

  t.test('accept long passphrases with any characters and no composition rules (ASVS 6.2.5, 6.2.9)', async t => {
    t.equal((await attempt('all lowercase words here')).statusCode, 201)
    t.equal((await attempt('🔐 ünïcødé pässphrase with spaces')).statusCode, 201)
    t.equal((await attempt('x'.repeat(64) + 'y')).statusCode, 201)
  })

  t.test('apply the same rules to a password change (ASVS 6.2.3)', async t => {
    const user = await registeredUser(app)
    const response = await app.inject({
      method: 'PUT',
      url: '/accounts/me/password',
      headers: bearer(user.tokens.accessToken),
      payload: { currentPassword: strongPassword, newPassword: 'iloveyou' }
    })
    t.equal(response.statusCode, 400)
    t.match(problemOf(response).errors, [{ path: '/newPassword', message: /rule: common_password/ }])
  })
})
