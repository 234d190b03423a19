/**
 * Failed-log-in and registration-probe limits under concurrency: an attempt is counted before its
 * password is checked, atomically, so requests sent at the same time cannot overrun the limit.
 * Run against both counter stores (Redis, and the in-process one of the embedded default).
 */
import t from 'tap'
import { skipWithoutRedis } from '@latchkey/test-support'
import { build, problemOf, register, strongPassword, uniqueEmail } from '../../helper.js'

const login = (email: string, password: string, remoteAddress: string) =>
  ({ method: 'POST' as const, url: '/sessions', payload: { email, password }, remoteAddress })

const statuses = (responses: Array<{ statusCode: number }>): Record<number, number> => {
  const counts: Record<number, number> = {}
  for (const { statusCode } of responses) counts[statusCode] = (counts[statusCode] ?? 0) + 1
  return counts
}

for (const store of ['redis', 'memory'] as const) {
  t.test(`failed log-ins sent at once, ${store} counters (ASVS 6.1.1, 6.3.1, 2.4.1)`, { skip: store === 'redis' ? await skipWithoutRedis() : false }, async t => {
    const { app } = await build(t, { memoryCounters: store === 'memory', env: { LOGIN_FAILURES_MAX: '3', RATE_LIMIT_IP_MAX: '100000' } })

    t.test('40 wrong passwords at once: at most LOGIN_FAILURES_MAX are checked (401), the rest get 429', async t => {
      const { email } = await register(app)
      const answers = await Promise.all(Array.from({ length: 40 }, async (_, i) => await app.inject(login(email, `wrong password number ${i}`, '192.0.2.70'))))
      const counts = statuses(answers)
      t.ok((counts[401] ?? 0) <= 3, `at most 3 answered 401 (got ${counts[401] ?? 0})`)
      t.equal((counts[401] ?? 0) + (counts[429] ?? 0), 40, `nothing but 401 and 429 (${JSON.stringify(counts)})`)
      const refused = answers.find(answer => answer.statusCode === 429)
      t.equal(refused === undefined ? undefined : problemOf(refused).code, 'rate_limited')
      t.ok(Number(refused?.headers['retry-after']) >= 1, 'with Retry-After')
    })

    t.test('the real user on a network it logged in from is not locked out by a concurrent attack elsewhere', async t => {
      const { email } = await register(app)
      t.equal((await app.inject(login(email, strongPassword, '192.0.2.80'))).statusCode, 201)
      // Five at once from each of twenty other networks: the pairs alone would let 60 through.
      const flood = await Promise.all(Array.from({ length: 100 }, async (_, i) => await app.inject(login(email, `wrong password number ${i}`, `203.0.113.${i % 20}`))))
      const counts = statuses(flood)
      t.ok((counts[401] ?? 0) <= 30, `the email's limit held: at most 10 × LOGIN_FAILURES_MAX checked (${JSON.stringify(counts)})`)
      t.equal((await app.inject(login(email, strongPassword, '192.0.2.80'))).statusCode, 201, 'the known network still logs in')
    })

    t.test('a success releases its reservation', async t => {
      const { email } = await register(app)
      const together = await Promise.all(Array.from({ length: 3 }, async () => await app.inject(login(email, strongPassword, '192.0.2.90'))))
      t.same(together.map(answer => answer.statusCode), [201, 201, 201], 'LOGIN_FAILURES_MAX right passwords at once all log in')
      // 10 × LOGIN_FAILURES_MAX successes from as many networks: had they stayed counted, the
      // per-email limit would now hold back every new network.
      await Promise.all(Array.from({ length: 30 }, async (_, i) => await app.inject(login(email, strongPassword, `198.51.100.${i}`))))
      t.equal((await app.inject(login(email, strongPassword, '198.51.100.200'))).statusCode, 201, 'a new network still logs in')
      for (let i = 0; i < 3; i++) t.equal((await app.inject(login(email, 'a wrong password!', '192.0.2.90'))).statusCode, 401, `failure ${i + 1} is checked`)
      t.equal((await app.inject(login(email, strongPassword, '192.0.2.90'))).statusCode, 429, 'then the pair is blocked')
    })

    t.test('40 registrations of an existing email at once: at most LOGIN_FAILURES_MAX answered 409, the rest 429', async t => {
      const { email } = await register(app)
      const answers = await Promise.all(Array.from({ length: 40 }, async () => await app.inject({
        method: 'POST', url: '/accounts', payload: { email, password: strongPassword, name: 'Probe' }, remoteAddress: '192.0.2.100'
      })))
      const counts = statuses(answers)
      t.ok((counts[409] ?? 0) <= 3, `at most 3 answered 409 (got ${counts[409] ?? 0})`)
      t.equal((counts[409] ?? 0) + (counts[429] ?? 0), 40, `nothing but 409 and 429 (${JSON.stringify(counts)})`)
      const fresh = await app.inject({ method: 'POST', url: '/accounts', payload: { email: uniqueEmail(), password: strongPassword, name: 'New' }, remoteAddress: '192.0.2.101' })
      t.equal(fresh.statusCode, 201, 'another network registers')
    })
  })
}
