/**
 * Step-up: with a second factor active, changing the password or email and deleting the account
 * need a current code, unless the session passed a second factor within STEP_UP_MAX_AGE.
 */
import t from 'tap'
import type { TokenPair } from '@latchkey/contracts'
import { bearer, build, problemOf, registeredUser, strongPassword } from '../../helper.js'
import { currentStep, totp } from '../../totp-reference.js'

t.test('step-up for sensitive changes (ASVS 7.5.1, 6.3.4)', async t => {
  const { app, sql } = await build(t, { env: { EMAIL_VERIFICATION: 'off', LOGIN_FAILURES_MAX: '50' } })

  /** An account with a factor; `tokens` is its password-only session from before enrolment. */
  async function enrolled (): Promise<{ id: string, email: string, tokens: TokenPair, secret: string, step: number }> {
    const user = await registeredUser(app)
    const headers = bearer(user.tokens.accessToken)
    const { secret } = (await app.inject({ method: 'POST', url: '/accounts/me/mfa/totp', headers, payload: { password: strongPassword } })).json<{ secret: string }>()
    const step = currentStep()
    t.equal((await app.inject({ method: 'POST', url: '/accounts/me/mfa/totp/confirm', headers, payload: { code: totp(secret, step) } })).statusCode, 200)
    return { ...user, secret, step }
  }

  async function mfaSession (email: string, code: string): Promise<TokenPair> {
    const { mfaToken } = (await app.inject({ method: 'POST', url: '/sessions', payload: { email, password: strongPassword } })).json<{ mfaToken: string }>()
    const response = await app.inject({ method: 'POST', url: '/sessions/mfa', payload: { mfaToken, code } })
    if (response.statusCode !== 201) throw new Error(response.body)
    return response.json<TokenPair>()
  }

  const newPassword = 'another long passphrase for this test'

  t.test('PUT /accounts/me/password › a password-only session gets 401 step_up_required and nothing changes; a wrong code 403; a current code passes', async t => {
    const user = await enrolled()
    const headers = bearer(user.tokens.accessToken)
    const refused = await app.inject({ method: 'PUT', url: '/accounts/me/password', headers, payload: { currentPassword: strongPassword, newPassword } })
    t.equal(refused.statusCode, 401)
    t.equal(problemOf(refused).code, 'step_up_required')
    t.equal(problemOf(await app.inject({ method: 'POST', url: '/sessions', payload: { email: user.email, password: strongPassword } })).code, 'mfa_required', 'the password is unchanged')
    const wrong = await app.inject({ method: 'PUT', url: '/accounts/me/password', headers, payload: { currentPassword: strongPassword, newPassword, code: totp(user.secret, user.step + 9) } })
    t.equal(wrong.statusCode, 403)
    t.equal(problemOf(wrong).code, 'invalid_mfa_code')
    const changed = await app.inject({ method: 'PUT', url: '/accounts/me/password', headers, payload: { currentPassword: strongPassword, newPassword, code: totp(user.secret, user.step + 1) } })
    t.equal(changed.statusCode, 204)
  })

  t.test('PATCH /accounts/me › a session that passed a second factor just now needs no code; one older than STEP_UP_MAX_AGE does', async t => {
    const user = await enrolled()
    const fresh = await mfaSession(user.email, totp(user.secret, user.step + 1))
    const changed = await app.inject({ method: 'PATCH', url: '/accounts/me', headers: bearer(fresh.accessToken), payload: { email: `new-${user.email}`, currentPassword: strongPassword } })
    t.equal(changed.statusCode, 200)
    // The session's log in moves 11 minutes back; its next access token says so (auth_time).
    await sql`UPDATE sessions SET auth_time = now() - interval '11 minutes' WHERE id = ${fresh.sessionId}`
    const stale = (await app.inject({ method: 'POST', url: '/sessions/refresh', payload: { refreshToken: fresh.refreshToken } })).json<TokenPair>()
    const refused = await app.inject({ method: 'PATCH', url: '/accounts/me', headers: bearer(stale.accessToken), payload: { email: `newer-${user.email}`, currentPassword: strongPassword } })
    t.equal(refused.statusCode, 401)
    t.equal(problemOf(refused).code, 'step_up_required')
  })

  t.test('DELETE /accounts/me › step-up too; an account without a factor needs none', async t => {
    const user = await enrolled()
    const refused = await app.inject({ method: 'DELETE', url: '/accounts/me', headers: bearer(user.tokens.accessToken), payload: { password: strongPassword } })
    t.equal(problemOf(refused).code, 'step_up_required')
    const deleted = await app.inject({ method: 'DELETE', url: '/accounts/me', headers: bearer(user.tokens.accessToken), payload: { password: strongPassword, code: totp(user.secret, user.step + 1) } })
    t.equal(deleted.statusCode, 204)
    const plain = await registeredUser(app)
    t.equal((await app.inject({ method: 'DELETE', url: '/accounts/me', headers: bearer(plain.tokens.accessToken), payload: { password: strongPassword } })).statusCode, 204)
  })
})
