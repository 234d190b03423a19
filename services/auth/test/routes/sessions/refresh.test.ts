import t from 'tap'
import type { TokenPair } from '@latchkey/contracts'
import { bearer, build, problemOf, registeredUser } from '../../helper.js'

t.test('POST /sessions/refresh', async t => {
  const { app, sql } = await build(t, { env: { REFRESH_REUSE_GRACE: '1' } })
  const refresh = async (refreshToken: string) => await app.inject({ method: 'POST', url: '/sessions/refresh', payload: { refreshToken } })

  t.test('rotates the refresh token and keeps the session', async t => {
    const user = await registeredUser(app)
    const response = await refresh(user.tokens.refreshToken)
    t.equal(response.statusCode, 200)
    const next = response.json<TokenPair>()
    t.not(next.refreshToken, user.tokens.refreshToken)
    t.not(next.accessToken, user.tokens.accessToken)
    t.equal(next.sessionId, user.tokens.sessionId)
    t.equal(response.headers['cache-control'], 'no-store')
    const again = await refresh(next.refreshToken)
    t.equal(again.statusCode, 200, 'the successor works in turn')
  })

  t.test('gives 20 concurrent refreshes of one token the same successor, and the session lives (two tabs racing)', async t => {
    const user = await registeredUser(app)
    const responses = await Promise.all(Array.from({ length: 20 }, async () => await refresh(user.tokens.refreshToken)))
    t.same(responses.map(r => r.statusCode), Array(20).fill(200))
    const successors = new Set(responses.map(r => r.json<TokenPair>().refreshToken))
    t.equal(successors.size, 1)
    const [successor] = [...successors]
    const next = await refresh(successor ?? '')
    t.equal(next.statusCode, 200, 'the shared successor still works')
    const check = await app.inject({ method: 'GET', url: '/verify', headers: bearer(next.json<TokenPair>().accessToken) })
    t.equal(check.statusCode, 200)
  })

  t.test('revokes the whole session when a spent token comes back after the grace window (RFC 9700 4.14.2, ASVS 10.4.5)', async t => {
    const user = await registeredUser(app)
    const rotated = (await refresh(user.tokens.refreshToken)).json<TokenPair>()
    await new Promise(resolve => setTimeout(resolve, 1100))
    const reuse = await refresh(user.tokens.refreshToken)
    t.equal(reuse.statusCode, 401)
    t.equal(problemOf(reuse).code, 'refresh_token_reused')
    const successor = await refresh(rotated.refreshToken)
    t.equal(successor.statusCode, 401, 'the thief\'s or victim\'s current token is dead too')
    t.equal(problemOf(successor).code, 'invalid_refresh_token')
    const access = await app.inject({ method: 'GET', url: '/verify', headers: bearer(rotated.accessToken) })
    t.equal(access.statusCode, 401)
    t.equal(problemOf(access).code, 'token_revoked')
  })

  t.test('answers 401 invalid_refresh_token to garbage, a tampered token and a token of a logged-out session', async t => {
    const garbage = await refresh('not-a-token')
    t.equal(problemOf(garbage).code, 'invalid_refresh_token')
    const user = await registeredUser(app)
    const token = user.tokens.refreshToken
    const tampered = token.slice(0, 40) + (token[40] === 'A' ? 'B' : 'A') + token.slice(41)
    const forged = await refresh(tampered)
    t.equal(forged.statusCode, 401)
    t.equal(problemOf(forged).code, 'invalid_refresh_token')
    t.equal((await refresh(token)).statusCode, 200, 'a forged token did not revoke the session')
    const other = await registeredUser(app)
    await app.inject({ method: 'DELETE', url: '/sessions/current', headers: bearer(other.tokens.accessToken) })
    const afterLogout = await refresh(other.tokens.refreshToken)
    t.equal(afterLogout.statusCode, 401)
    t.equal(problemOf(afterLogout).code, 'invalid_refresh_token')
  })

  t.test('refuses a refresh token unused for REFRESH_TOKEN_TTL (idle expiry) and a session past SESSION_MAX_LIFETIME (ASVS 7.3.1, 7.3.2, 10.4.8)', async t => {
    const idle = await registeredUser(app)
    await sql`UPDATE sessions SET expires_at = now() - interval '1 second' WHERE id = ${idle.tokens.sessionId}`
    t.equal(problemOf(await refresh(idle.tokens.refreshToken)).code, 'invalid_refresh_token')

    const old = await registeredUser(app)
    await sql`UPDATE sessions SET created_at = now() - interval '91 days' WHERE id = ${old.tokens.sessionId}`
    const response = await refresh(old.tokens.refreshToken)
    t.equal(response.statusCode, 401, 'however recently used, a session ends at its absolute lifetime (90 days by default)')
    t.equal(problemOf(response).code, 'invalid_refresh_token')
  })
})
