/**
 * Load shedding in front of the password hash: a flood of log-ins cannot queue without bound
 * (and stall log-in, registration and password change for everyone), and an IPv6 client cannot
 * buy fresh budgets by rotating /64s inside its /48.
 */
import t from 'tap'
import { skipWithoutRedis } from '@latchkey/test-support'
import { build, problemOf, uniqueEmail } from '../../helper.js'

const login = (email: string, remoteAddress: string) =>
  ({ method: 'POST' as const, url: '/sessions', payload: { email, password: 'not the password at all' }, remoteAddress })

t.test('POST /sessions answers 503 overloaded at once while the hash queue is full (ASVS 15.2.2, 2.4.1)', { skip: await skipWithoutRedis() }, async t => {
  // One hash at a time, two waiting, each hash slow: twenty log-ins at once overflow the queue.
  const { app } = await build(t, {
    env: { PASSWORD_HASH_CONCURRENCY: '1', PASSWORD_HASH_QUEUE_MAX: '2', ARGON2_TIME_COST: '10', LOGIN_FAILURES_MAX: '1000', RATE_LIMIT_IP_MAX: '100000' }
  })
  const finished: number[] = []
  const answers = await Promise.all(Array.from({ length: 20 }, async (_, i) => {
    const answer = await app.inject(login(uniqueEmail(), `198.51.100.${i}`))
    finished.push(answer.statusCode)
    return answer
  }))
  const checked = answers.filter(answer => answer.statusCode === 401).length
  const shed = answers.filter(answer => answer.statusCode === 503)
  t.ok(shed.length >= 1, `some were shed (${checked} checked, ${shed.length} shed)`)
  t.equal(checked + shed.length, 20, 'nothing but 401 and 503')
  t.ok(checked <= 6, `about the running and the queued ones were checked, no more (${checked})`)
  for (const answer of shed) {
    t.match(answer.headers['content-type'], /application\/problem\+json/)
    t.equal(problemOf(answer).code, 'overloaded')
    t.ok(Number(answer.headers['retry-after']) >= 1, 'with Retry-After')
  }
  t.equal(finished[0], 503, 'the first answer was a 503, given while the first hash still ran: at once, not after waiting')
  t.equal((await app.inject(login(uniqueEmail(), '198.51.100.200'))).statusCode, 401, 'once the queue drained, log-ins are checked again')
})

t.test('per-network limits count an IPv6 client by its /48 as well as its /64 (ASVS 2.4.1)', { skip: await skipWithoutRedis() }, async t => {
  const { app } = await build(t, { env: { RATE_LIMIT_IP_MAX: '4', RATE_LIMIT_IPV6_48_MAX: '6', LOGIN_FAILURES_MAX: '1000' } })
  // A fresh /64 for every request, all inside 2001:db8:bb::/48.
  const answers = []
  for (let i = 1; i <= 7; i++) answers.push((await app.inject(login(uniqueEmail(), `2001:db8:bb:${i}::1`))).statusCode)
  t.same(answers, [401, 401, 401, 401, 401, 401, 429], 'the seventh request of the /48 is refused')
  const refused = await app.inject(login(uniqueEmail(), '2001:db8:bb:99::1'))
  t.equal(problemOf(refused).code, 'rate_limited')
  t.ok(Number(refused.headers['retry-after']) >= 1)
  t.equal((await app.inject(login(uniqueEmail(), '2001:db8:cc:1::1'))).statusCode, 401, 'another /48 has its own budget')
  t.equal((await app.inject(login(uniqueEmail(), '192.0.2.1'))).statusCode, 401, 'IPv4 clients are unaffected')
})
