/**
 * MFA_REQUIRED_ROLES: an account holding such a role logs in without a second factor only to enrol
 * one; its tokens are refused everywhere else with 403 mfa_enrollment_required.
 */
import t from 'tap'
import type { TokenPair } from '@latchkey/contracts'
import { bearer, build, logIn, problemOf, registeredUser } from '../../helper.js'
import { currentStep, totp } from '../../totp-reference.js'

const claimsOf = (token: string): { mfa_enrollment_required?: boolean } =>
  JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as { mfa_enrollment_required?: boolean }

t.test('MFA_REQUIRED_ROLES=admin (ASVS 6.3.3, OWASP MFA: require MFA for administrators)', async t => {
  const adminEmail = `admin-${Date.now()}@example.test`
  const adminPassword = 'bootstrap admin passphrase'
  const { app } = await build(t, { env: { MFA_REQUIRED_ROLES: 'admin', BOOTSTRAP_ADMIN_EMAIL: adminEmail, BOOTSTRAP_ADMIN_PASSWORD: adminPassword } })
  const admin = await logIn(app, adminEmail, adminPassword)
  const headers = bearer(admin.accessToken)

  t.test('an admin without a factor gets enrolment-only tokens: every other route answers 403 mfa_enrollment_required', async t => {
    t.equal(claimsOf(admin.accessToken).mfa_enrollment_required, true)
    for (const [method, url] of [['GET', '/accounts/me'], ['GET', '/accounts'], ['GET', '/verify'], ['GET', '/sessions']] as const) {
      const response = await app.inject({ method, url, headers })
      t.equal(response.statusCode, 403, `${method} ${url}`)
      t.equal(problemOf(response).code, 'mfa_enrollment_required')
    }
    t.equal((await app.inject({ method: 'GET', url: '/accounts/me/mfa', headers })).statusCode, 200, 'the enrolment routes answer')
  })

  t.test('a plain user is unaffected', async t => {
    const user = await registeredUser(app)
    t.equal(claimsOf(user.tokens.accessToken).mfa_enrollment_required, false)
    t.equal((await app.inject({ method: 'GET', url: '/accounts/me', headers: bearer(user.tokens.accessToken) })).statusCode, 200)
  })

  t.test('after enrolling, a refresh of the password-only session is still enrolment-only; a log in with the factor gets full tokens', async t => {
    const { secret } = (await app.inject({ method: 'POST', url: '/accounts/me/mfa/totp', headers, payload: { password: adminPassword } })).json<{ secret: string }>()
    const step = currentStep()
    t.equal((await app.inject({ method: 'POST', url: '/accounts/me/mfa/totp/confirm', headers, payload: { code: totp(secret, step) } })).statusCode, 200)
    const refreshed = (await app.inject({ method: 'POST', url: '/sessions/refresh', payload: { refreshToken: admin.refreshToken } })).json<TokenPair>()
    t.equal(problemOf(await app.inject({ method: 'GET', url: '/accounts', headers: bearer(refreshed.accessToken) })).code, 'mfa_enrollment_required')
    const { mfaToken } = (await app.inject({ method: 'POST', url: '/sessions', payload: { email: adminEmail, password: adminPassword } })).json<{ mfaToken: string }>()
    const full = (await app.inject({ method: 'POST', url: '/sessions/mfa', payload: { mfaToken, code: totp(secret, step + 1) } })).json<TokenPair>()
    t.equal(claimsOf(full.accessToken).mfa_enrollment_required, false)
    t.equal((await app.inject({ method: 'GET', url: '/accounts', headers: bearer(full.accessToken) })).statusCode, 200)
    t.equal((await app.inject({ method: 'DELETE', url: '/sessions/current', headers: bearer(refreshed.accessToken) })).statusCode, 204, 'an enrolment-only session can still log out')
  })
})
