/** latchkey-admin reset-mfa: the administrator's recovery of an account that lost its device and its recovery codes. */
import t from 'tap'
import { skipWithoutRedis } from '@latchkey/test-support'
import { bearer, eventually, problemOf, registeredUser, strongPassword } from '../helper.js'
import { totp } from '../totp-reference.js'
import { buildWithCli } from './cli-helper.js'

t.test('latchkey-admin reset-mfa', { skip: await skipWithoutRedis() }, async t => {
  const { app, admin } = await buildWithCli(t)
  const revokedAtService = async (token: string): Promise<boolean> => await eventually(async () => {
    const response = await app.inject({ method: 'GET', url: '/verify', headers: bearer(token) })
    return response.statusCode === 401 && problemOf(response).code === 'token_revoked'
  }, 1000)

  t.test('reset-mfa removes the second factor of a user who lost it; every session dies; log in is password-only again', async t => {
    const user = await registeredUser(app)
    const headers = bearer(user.tokens.accessToken)
    const { secret } = (await app.inject({ method: 'POST', url: '/accounts/me/mfa/totp', headers, payload: { password: strongPassword } })).json<{ secret: string }>()
    t.equal((await app.inject({ method: 'POST', url: '/accounts/me/mfa/totp/confirm', headers, payload: { code: totp(secret) } })).statusCode, 200)
    t.equal(problemOf(await app.inject({ method: 'POST', url: '/sessions', payload: { email: user.email, password: strongPassword } })).code, 'mfa_required')
    const result = await admin(['reset-mfa', user.email])
    t.equal(result.code, 0, result.stderr)
    t.ok(await revokedAtService(user.tokens.accessToken))
    t.equal((await app.inject({ method: 'POST', url: '/sessions', payload: { email: user.email, password: strongPassword } })).statusCode, 201)
  })
})
