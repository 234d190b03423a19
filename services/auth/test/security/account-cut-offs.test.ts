/**
 * Account-wide cut-offs (log out everywhere, disable, role change, deletion) must be exact: a
 * token refreshed after one cut-off dies at the next, however close together they come.
 */
import t from 'tap'
import type { TokenPair } from '@latchkey/contracts'
import { bearer, build, logIn, problemOf, registeredUser, uniqueEmail } from '../helper.js'

t.test('a demoted admin loses its admin token even when promotion, refresh and demotion share one second (ASVS 7.4.1, 8.3.2)', async t => {
  const adminEmail = uniqueEmail()
  const { app } = await build(t, { env: { BOOTSTRAP_ADMIN_EMAIL: adminEmail, BOOTSTRAP_ADMIN_PASSWORD: 'bootstrap admin passphrase' } })
  const asAdmin = bearer((await logIn(app, adminEmail, 'bootstrap admin passphrase')).accessToken)
  const user = await registeredUser(app)
  let refreshToken = user.tokens.refreshToken
  const survivors: number[] = []
  for (let round = 0; round < 20; round++) {
    const promoted = await app.inject({ method: 'PATCH', url: `/accounts/${user.id}`, headers: asAdmin, payload: { roles: ['admin'] } })
    t.equal(promoted.statusCode, 200)
    const refreshed = await app.inject({ method: 'POST', url: '/sessions/refresh', payload: { refreshToken } })
    t.equal(refreshed.statusCode, 200)
    const pair = refreshed.json<TokenPair>()
    refreshToken = pair.refreshToken
    const before = await app.inject({ method: 'GET', url: '/verify', headers: bearer(pair.accessToken) })
    t.same(before.json<{ roles: string[] }>().roles.sort(), ['admin', 'user'], 'the refreshed token carries the admin role')

    const demoted = await app.inject({ method: 'PATCH', url: `/accounts/${user.id}`, headers: asAdmin, payload: { roles: ['user'] } })
    t.equal(demoted.statusCode, 200)
    const after = await app.inject({ method: 'GET', url: '/verify', headers: bearer(pair.accessToken) })
    if (after.statusCode !== 401 || problemOf(after).code !== 'token_revoked') survivors.push(round)
  }
  t.same(survivors, [], 'no admin token outlived its demotion')
})
