/**
 * The password checks of the caller's own routes count as log-ins of that account: a stolen
 * access token buys no more password guesses than the log-in form, and PATCH /accounts/me is no
 * unthrottled oracle of which emails are taken.
 */
import t from 'tap'
import { skipWithoutRedis } from '@latchkey/test-support'
import { bearer, build, problemOf, register, registeredUser, strongPassword, uniqueEmail } from '../../helper.js'

const from = (n: number): string => `192.0.2.${n}`

t.test('password checks of /accounts/me are limited like log-ins (ASVS 6.1.1, 6.3.1, 7.5.1)', { skip: await skipWithoutRedis() }, async t => {
  const { app } = await build(t, { env: { LOGIN_FAILURES_MAX: '3', RATE_LIMIT_IP_MAX: '100000' } })

  const routes = {
    'PATCH /accounts/me': (password: string) => ({ method: 'PATCH' as const, url: '/accounts/me', payload: { email: uniqueEmail(), currentPassword: password } }),
    'PUT /accounts/me/password': (password: string) => ({ method: 'PUT' as const, url: '/accounts/me/password', payload: { currentPassword: password, newPassword: 'another fine passphrase' } }),
    'DELETE /accounts/me': (password: string) => ({ method: 'DELETE' as const, url: '/accounts/me', payload: { password } })
  }

  let network = 10
  for (const [name, request] of Object.entries(routes)) {
    t.test(`${name} answers 429 after LOGIN_FAILURES_MAX wrong passwords, even for the right one, and nothing changed`, async t => {
      const user = await registeredUser(app)
      const remoteAddress = from(network++)
      for (let i = 0; i < 3; i++) {
        const wrong = await app.inject({ ...request(`wrong password number ${i}`), headers: bearer(user.tokens.accessToken), remoteAddress })
        t.equal(wrong.statusCode, 403, `guess ${i + 1} is checked`)
      }
      const blocked = await app.inject({ ...request(strongPassword), headers: bearer(user.tokens.accessToken), remoteAddress })
      t.equal(blocked.statusCode, 429)
      t.match(blocked.headers['content-type'], /application\/problem\+json/)
      t.equal(problemOf(blocked).code, 'rate_limited')
      t.ok(Number(blocked.headers['retry-after']) >= 1)
      const me = await app.inject({ method: 'GET', url: '/accounts/me', headers: bearer(user.tokens.accessToken) })
      t.equal(me.statusCode, 200, 'the account is still there')
      t.equal(me.json<{ email: string }>().email, user.email, 'with its email')
      t.equal((await app.inject({ method: 'POST', url: '/sessions', payload: { email: user.email, password: strongPassword }, remoteAddress: from(200) })).statusCode, 201, 'and its password, from another network')
    })

    t.test(`${name}: 40 wrong passwords at once get at most LOGIN_FAILURES_MAX answers 403`, async t => {
      const user = await registeredUser(app)
      const remoteAddress = from(network++)
      const answers = await Promise.all(Array.from({ length: 40 }, async (_, i) => await app.inject({ ...request(`wrong password number ${i}`), headers: bearer(user.tokens.accessToken), remoteAddress })))
      const checked = answers.filter(answer => answer.statusCode === 403).length
      t.ok(checked <= 3, `at most 3 checked (got ${checked})`)
      t.equal(answers.filter(answer => answer.statusCode === 429).length, 40 - checked, 'the rest 429')
    })
  }

  t.test('wrong passwords here count as failed log-ins of the account', async t => {
    const user = await registeredUser(app)
    const remoteAddress = from(network++)
    for (let i = 0; i < 3; i++) await app.inject({ ...routes['PUT /accounts/me/password'](`wrong password number ${i}`), headers: bearer(user.tokens.accessToken), remoteAddress })
    t.equal((await app.inject({ method: 'POST', url: '/sessions', payload: { email: user.email, password: strongPassword }, remoteAddress })).statusCode, 429)
  })

  t.test('PATCH /accounts/me: probing taken emails counts as failures, then 429 (no email oracle)', async t => {
    const user = await registeredUser(app)
    const remoteAddress = from(network++)
    const others = await Promise.all(Array.from({ length: 4 }, async () => await register(app)))
    const probe = async (email: string) => await app.inject({ method: 'PATCH', url: '/accounts/me', headers: bearer(user.tokens.accessToken), payload: { email, currentPassword: strongPassword }, remoteAddress })
    for (const other of others.slice(0, 3)) t.equal((await probe(other.email)).statusCode, 409)
    const blocked = await probe(others[3]?.email ?? '')
    t.equal(blocked.statusCode, 429, 'the fourth probe is refused before it is answered')
    t.equal(problemOf(blocked).code, 'rate_limited')
  })
})
