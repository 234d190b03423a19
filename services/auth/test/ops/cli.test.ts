import t from 'tap'
import type { Account } from '@latchkey/contracts'
import { skipWithoutRedis } from '@latchkey/test-support'
import { bearer, eventually, logIn, problemOf, registeredUser, strongPassword, uniqueEmail } from '../helper.js'
import { buildWithCli } from './cli-helper.js'

t.test('latchkey-admin (the auth CLI, run as a process on the service\'s database and Redis)', { skip: await skipWithoutRedis() }, async t => {
  const { app, sql, admin } = await buildWithCli(t)
  const revokedAtService = async (token: string): Promise<boolean> => await eventually(async () => {
    const response = await app.inject({ method: 'GET', url: '/verify', headers: bearer(token) })
    return response.statusCode === 401 && problemOf(response).code === 'token_revoked'
  }, 1000)

  t.test('create-admin creates an administrator with the password from stdin, who can use the admin routes', async t => {
    const email = uniqueEmail()
    const result = await admin(['create-admin', email, '--name', 'Root Admin'], `${strongPassword}\n`)
    t.equal(result.code, 0, result.stderr)
    const account = JSON.parse(result.stdout) as Account
    t.match(account, { email, status: 'active' })
    t.same([...account.roles].sort(), ['admin', 'user'])
    t.notOk(result.stdout.includes(strongPassword), 'the password is never printed')
    const tokens = await logIn(app, email)
    t.equal((await app.inject({ method: 'GET', url: '/accounts', headers: bearer(tokens.accessToken) })).statusCode, 200)
  })

  t.test('create-admin never promotes an existing account: exit 1, nothing changed, pointed to promote; and refuses a password the policy refuses (ASVS 6.3.2, 8.2.1)', async t => {
    const user = await registeredUser(app)
    const taken = await admin(['create-admin', user.email.toUpperCase()], 'a different password entirely\n')
    t.equal(taken.code, 1)
    t.match(taken.stderr, /already exists and create-admin never promotes one: nothing changed/)
    t.match(taken.stderr, /latchkey-admin promote/)
    t.equal(taken.stdout, '', 'no account printed')
    const me = await app.inject({ method: 'GET', url: '/accounts/me', headers: bearer(user.tokens.accessToken) })
    t.equal(me.statusCode, 200, 'its access token still works: no role change revoked it')
    t.same(me.json<Account>().roles, ['user'], 'still not an administrator')
    await logIn(app, user.email)
    const weak = await admin(['create-admin', uniqueEmail()], 'short\n')
    t.equal(weak.code, 1)
    t.match(weak.stderr, /validation_failed/)
  })

  t.test('promote adds the admin role and kills the access tokens issued with the old roles', async t => {
    const user = await registeredUser(app)
    const result = await admin(['promote', user.email])
    t.equal(result.code, 0, result.stderr)
    t.ok((JSON.parse(result.stdout) as Account).roles.includes('admin'))
    t.ok(await revokedAtService(user.tokens.accessToken), 'the running service refuses the old token within 1 s')
    const tokens = await logIn(app, user.email)
    t.equal((await app.inject({ method: 'GET', url: '/accounts', headers: bearer(tokens.accessToken) })).statusCode, 200)
  })

  t.test('disable revokes every session through the feed, refuses log-in and relays the account event', async t => {
    const user = await registeredUser(app)
    const result = await admin(['disable', user.email])
    t.equal(result.code, 0, result.stderr)
    t.equal((JSON.parse(result.stdout) as Account).status, 'disabled')
    t.ok(await revokedAtService(user.tokens.accessToken), 'the running service refuses the token within 1 s')
    const login = await app.inject({ method: 'POST', url: '/sessions', payload: { email: user.email, password: strongPassword } })
    t.equal(problemOf(login).code, 'account_disabled')
    const refresh = await app.inject({ method: 'POST', url: '/sessions/refresh', payload: { refreshToken: user.tokens.refreshToken } })
    t.equal(refresh.statusCode, 401)
    const events = await sql<Array<{ published: boolean }>>`
      SELECT published_at IS NOT NULL AS published FROM outbox WHERE type = 'account.disabled' AND payload->'data'->>'id' = ${user.id}`
    t.same(events, [{ published: true }], 'account.disabled was relayed to the stream')

    const enabled = await admin(['enable', user.email])
    t.equal(enabled.code, 0, enabled.stderr)
    t.equal((await app.inject({ method: 'POST', url: '/sessions', payload: { email: user.email, password: strongPassword } })).statusCode, 201)
  })

  t.test('revoke-sessions logs the account out everywhere, at the running service within 1 s', async t => {
    const user = await registeredUser(app)
    const second = await logIn(app, user.email)
    const result = await admin(['revoke-sessions', user.email])
    t.equal(result.code, 0, result.stderr)
    t.ok(await revokedAtService(user.tokens.accessToken))
    t.ok(await revokedAtService(second.accessToken))
    for (const refreshToken of [user.tokens.refreshToken, second.refreshToken]) {
      const refresh = await app.inject({ method: 'POST', url: '/sessions/refresh', payload: { refreshToken } })
      t.equal(refresh.statusCode, 401)
    }
  })

  t.test('exits 1 for an unknown email and 2 with the usage for a wrong command line', async t => {
    const unknown = await admin(['disable', uniqueEmail()])
    t.equal(unknown.code, 1)
    t.match(unknown.stderr, /no account with email/)
    const wrong = await admin(['frobnicate'])
    t.equal(wrong.code, 2)
    t.match(wrong.stderr, /usage: latchkey-admin/)
  })
})
