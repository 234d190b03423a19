import t from 'tap'
import type { TokenPair } from '@latchkey/contracts'
import { bearer, build, eventually, logIn, problemOf, registeredUser, strongPassword, uniqueEmail } from '../../helper.js'

t.test('PUT /accounts/me/password', async t => {
  const { app } = await build(t)

  t.test('changes the password, revokes every other session and keeps the current one (ASVS 6.2.3, 7.4.3)', async t => {
    const user = await registeredUser(app)
    const other = await logIn(app, user.email)
    const response = await app.inject({
      method: 'PUT',
      url: '/accounts/me/password',
      headers: bearer(user.tokens.accessToken),
      payload: { currentPassword: strongPassword, newPassword: 'an entirely new passphrase' }
    })
    t.equal(response.statusCode, 204)
    t.equal((await app.inject({ method: 'GET', url: '/verify', headers: bearer(user.tokens.accessToken) })).statusCode, 200, 'current session stays')
    const otherCheck = await app.inject({ method: 'GET', url: '/verify', headers: bearer(other.accessToken) })
    t.equal(problemOf(otherCheck).code, 'token_revoked', 'other session\'s access token dies')
    const otherRefresh = await app.inject({ method: 'POST', url: '/sessions/refresh', payload: { refreshToken: other.refreshToken } })
    t.equal(otherRefresh.statusCode, 401, 'other session\'s refresh token dies')
    const oldLogin = await app.inject({ method: 'POST', url: '/sessions', payload: { email: user.email, password: strongPassword } })
    t.equal(oldLogin.statusCode, 401)
    await logIn(app, user.email, 'an entirely new passphrase')
  })

  t.test('answers 403 invalid_password for a wrong current password and changes nothing', async t => {
    const user = await registeredUser(app)
    const response = await app.inject({
      method: 'PUT',
      url: '/accounts/me/password',
      headers: bearer(user.tokens.accessToken),
      payload: { currentPassword: 'wrong password here', newPassword: 'an entirely new passphrase' }
    })
    t.equal(response.statusCode, 403)
    t.equal(problemOf(response).code, 'invalid_password')
    await logIn(app, user.email)
  })

  t.test('answers 400 for a new password below the minimum length', async t => {
    const user = await registeredUser(app)
    const response = await app.inject({
      method: 'PUT',
      url: '/accounts/me/password',
      headers: bearer(user.tokens.accessToken),
      payload: { currentPassword: strongPassword, newPassword: 'short' }
    })
    t.equal(response.statusCode, 400)
    t.equal(problemOf(response).errors?.[0]?.path, '/newPassword')
  })
})

t.test('PATCH /accounts/me', async t => {
  const { app } = await build(t, { env: { EMAIL_VERIFICATION: 'off' } })

  t.test('with EMAIL_VERIFICATION=off, changes the email at once with the current password (ASVS 7.5.1)', async t => {
    const user = await registeredUser(app)
    const email = uniqueEmail()
    const response = await app.inject({ method: 'PATCH', url: '/accounts/me', headers: bearer(user.tokens.accessToken), payload: { email, currentPassword: strongPassword } })
    t.equal(response.statusCode, 200)
    t.equal(response.json().email, email)
    await logIn(app, email)
  })

  t.test('answers 403 for a wrong password and 409 for a taken email', async t => {
    const user = await registeredUser(app)
    const other = await registeredUser(app)
    const wrong = await app.inject({ method: 'PATCH', url: '/accounts/me', headers: bearer(user.tokens.accessToken), payload: { email: uniqueEmail(), currentPassword: 'wrong password here' } })
    t.equal(problemOf(wrong).code, 'invalid_password')
    const taken = await app.inject({ method: 'PATCH', url: '/accounts/me', headers: bearer(user.tokens.accessToken), payload: { email: other.email.toUpperCase(), currentPassword: strongPassword } })
    t.equal(taken.statusCode, 409)
    t.equal(problemOf(taken).code, 'email_taken')
  })
})

t.test('DELETE /accounts/me', async t => {
  const { app, sql } = await build(t)

  t.test('deletes the account, revokes every session and records account.deleted', async t => {
    const user = await registeredUser(app)
    const second = await logIn(app, user.email)
    const wrong = await app.inject({ method: 'DELETE', url: '/accounts/me', headers: bearer(user.tokens.accessToken), payload: { password: 'wrong password here' } })
    t.equal(problemOf(wrong).code, 'invalid_password')
    const response = await app.inject({ method: 'DELETE', url: '/accounts/me', headers: bearer(user.tokens.accessToken), payload: { password: strongPassword } })
    t.equal(response.statusCode, 204)
    for (const token of [user.tokens.accessToken, second.accessToken]) {
      t.equal(problemOf(await app.inject({ method: 'GET', url: '/verify', headers: bearer(token) })).code, 'token_revoked')
    }
    t.equal((await app.inject({ method: 'POST', url: '/sessions/refresh', payload: { refreshToken: second.refreshToken } })).statusCode, 401)
    t.equal((await app.inject({ method: 'POST', url: '/sessions', payload: { email: user.email, password: strongPassword } })).statusCode, 401)
    const events = await sql<Array<{ type: string }>>`SELECT type FROM outbox WHERE payload->'data'->>'id' = ${user.id} ORDER BY created_at`
    t.same(events.map(e => e.type), ['account.created', 'account.deleted'])
    t.ok(await eventually(async () => (await sql`SELECT 1 FROM outbox WHERE published_at IS NULL AND payload->'data'->>'id' = ${user.id}`).length === 0), 'relayed to the event stream')
  })
})

t.test('DELETE /sessions and DELETE /sessions/{id}', async t => {
  const { app } = await build(t)

  t.test('log out everywhere kills every session and every access token, the caller\'s too', async t => {
    const user = await registeredUser(app)
    const second = await logIn(app, user.email)
    t.equal((await app.inject({ method: 'DELETE', url: '/sessions', headers: bearer(user.tokens.accessToken) })).statusCode, 204)
    for (const pair of [user.tokens, second] as TokenPair[]) {
      t.equal(problemOf(await app.inject({ method: 'GET', url: '/verify', headers: bearer(pair.accessToken) })).code, 'token_revoked')
      t.equal((await app.inject({ method: 'POST', url: '/sessions/refresh', payload: { refreshToken: pair.refreshToken } })).statusCode, 401)
    }
    const fresh = await logIn(app, user.email)
    t.equal((await app.inject({ method: 'GET', url: '/verify', headers: bearer(fresh.accessToken) })).statusCode, 200, 'a login right after is not caught by the cut-off')
  })

  t.test('revokes one own session; another user\'s session is a 404 and stays alive (ASVS 8.2.2)', async t => {
    const user = await registeredUser(app)
    const second = await logIn(app, user.email)
    const stranger = await registeredUser(app)
    const idor = await app.inject({ method: 'DELETE', url: `/sessions/${stranger.tokens.sessionId}`, headers: bearer(user.tokens.accessToken) })
    t.equal(idor.statusCode, 404)
    t.equal(problemOf(idor).code, 'not_found')
    t.equal((await app.inject({ method: 'GET', url: '/verify', headers: bearer(stranger.tokens.accessToken) })).statusCode, 200)
    t.equal((await app.inject({ method: 'DELETE', url: `/sessions/${second.sessionId}`, headers: bearer(user.tokens.accessToken) })).statusCode, 204)
    t.equal(problemOf(await app.inject({ method: 'GET', url: '/verify', headers: bearer(second.accessToken) })).code, 'token_revoked')
    t.equal((await app.inject({ method: 'GET', url: '/verify', headers: bearer(user.tokens.accessToken) })).statusCode, 200)
    const list = await app.inject({ method: 'GET', url: '/sessions', headers: bearer(user.tokens.accessToken) })
    t.same(list.json().items.map((s: { id: string }) => s.id), [user.tokens.sessionId])
  })

  t.test('answers 400 for a session id that is not a UUID', async t => {
    const user = await registeredUser(app)
    const response = await app.inject({ method: 'DELETE', url: '/sessions/not-a-uuid', headers: bearer(user.tokens.accessToken) })
    t.equal(response.statusCode, 400)
    t.equal(problemOf(response).code, 'validation_failed')
  })
})
