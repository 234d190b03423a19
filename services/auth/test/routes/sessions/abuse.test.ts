import t from 'tap'
import { scrapeMetrics } from '@latchkey/fastify-metrics'
import { skipWithoutRedis } from '@latchkey/test-support'
import { build, problemOf, register, registeredUser, strongPassword, uniqueEmail } from '../../helper.js'

const login = (email: string, password: string, remoteAddress = '127.0.0.1', headers: Record<string, string> = {}) =>
  ({ method: 'POST' as const, url: '/sessions', payload: { email, password }, remoteAddress, headers })

t.test('per-network limits on the open POST routes (ASVS 2.4.1)', { skip: await skipWithoutRedis() }, async t => {
  const { app, buildReplica } = await build(t, { env: { RATE_LIMIT_IP_MAX: '4', RATE_LIMIT_IP_WINDOW: '60' } })
  const replica = await buildReplica()

  t.test('are shared by every replica and answer 429 problem+json with Retry-After and RateLimit headers', async t => {
    const from = '198.51.100.7'
    const first = await app.inject(login(uniqueEmail(), 'some wrong password', from))
    t.equal(first.headers['ratelimit-policy'], '"ip";q=4;w=60')
    t.match(first.headers.ratelimit, /^"ip";r=3;t=\d+$/)
    await replica.inject(login(uniqueEmail(), 'some wrong password', from))
    await app.inject(login(uniqueEmail(), 'some wrong password', from))
    await replica.inject(login(uniqueEmail(), 'some wrong password', from))
    const limited = await app.inject(login(uniqueEmail(), 'some wrong password', from))
    t.equal(limited.statusCode, 429)
    t.match(limited.headers['content-type'], /application\/problem\+json/)
    t.equal(problemOf(limited).code, 'rate_limited')
    t.ok(Number(limited.headers['retry-after']) >= 1)
    t.match(limited.headers.ratelimit, /^"ip";r=0;t=\d+$/)
    const elsewhere = await app.inject(login(uniqueEmail(), 'some wrong password', '198.51.100.8'))
    t.equal(elsewhere.statusCode, 401, 'another network has its own budget')
    t.equal((await app.inject({ method: 'GET', url: '/health/live', remoteAddress: from })).statusCode, 200, 'health is never limited')
    t.equal((await app.inject({ method: 'GET', url: '/.well-known/jwks.json', remoteAddress: from })).statusCode, 200, 'the JWKS is never limited')
  })

  t.test('ignore X-Forwarded-For from anyone but a trusted proxy (ASVS 4.1.3, 15.3.4)', async t => {
    const from = '198.51.100.20'
    for (let i = 0; i < 4; i++) await app.inject(login(uniqueEmail(), 'some wrong password', from, { 'x-forwarded-for': `203.0.113.${i}` }))
    const spoofed = await app.inject(login(uniqueEmail(), 'some wrong password', from, { 'x-forwarded-for': '203.0.113.99' }))
    t.equal(spoofed.statusCode, 429, 'a forged X-Forwarded-For does not buy a fresh budget')
  })

  t.test('count an IPv6 client by its /64', async t => {
    for (let i = 1; i <= 4; i++) await app.inject(login(uniqueEmail(), 'some wrong password', `2001:db8:aa:1::${i}`))
    t.equal((await app.inject(login(uniqueEmail(), 'some wrong password', '2001:db8:aa:1:ffff::9'))).statusCode, 429, 'same /64')
    t.equal((await app.inject(login(uniqueEmail(), 'some wrong password', '2001:db8:aa:2::1'))).statusCode, 401, 'another /64')
  })
})

t.test('a trusted proxy names the client (TRUST_PROXY)', { skip: await skipWithoutRedis() }, async t => {
  const { app } = await build(t, { env: { RATE_LIMIT_IP_MAX: '2', TRUST_PROXY: '10.0.0.1' } })
  const viaProxy = (client: string) => login(uniqueEmail(), 'some wrong password', '10.0.0.1', { 'x-forwarded-for': client })
  await app.inject(viaProxy('203.0.113.1'))
  await app.inject(viaProxy('203.0.113.1'))
  t.equal((await app.inject(viaProxy('203.0.113.1'))).statusCode, 429)
  t.equal((await app.inject(viaProxy('203.0.113.2'))).statusCode, 401, 'each client behind the proxy has its own budget')

  t.test('a spoofed X-Forwarded-For from an untrusted peer never changes its rate-limit key, whatever it names (ASVS 4.1.3, 15.3.4)', async t => {
    const from = '198.51.100.30'
    const spoofs = ['203.0.113.50', '10.0.0.1', '203.0.113.51, 10.0.0.1']
    const answers = []
    for (const forwarded of spoofs) answers.push((await app.inject(login(uniqueEmail(), 'some wrong password', from, { 'x-forwarded-for': forwarded }))).statusCode)
    t.same(answers, [401, 401, 429], 'the third attempt from the one peer is over its budget of 2')
  })

  t.test('a malformed X-Forwarded-For from the trusted proxy is ignored: the proxy\'s own address is the key, never the text (ASVS 15.3.4; RFC 9700 4.13)', async t => {
    const proxy = '10.0.0.1'
    for (const malformed of ['not-an-ip', '203.0.113.60:4444']) {
      const answer = await app.inject(login(uniqueEmail(), 'some wrong password', proxy, { 'x-forwarded-for': malformed }))
      t.equal(answer.statusCode, 401, malformed)
    }
    t.equal((await app.inject(login(uniqueEmail(), 'some wrong password', proxy))).statusCode, 429, 'both counted against the proxy\'s address')
    t.equal((await app.inject(viaProxy('203.0.113.61'))).statusCode, 401, 'a well-formed client address keeps its own budget')
  })
})

t.test('failed log-ins (ASVS 6.1.1, 6.3.1)', { skip: await skipWithoutRedis() }, async t => {
  const { app } = await build(t, { env: { LOGIN_FAILURES_MAX: '3', RATE_LIMIT_IP_MAX: '10000' } })

  t.test('block one email from one network after LOGIN_FAILURES_MAX failures, even with the right password', async t => {
    const { email } = await register(app)
    for (let i = 0; i < 3; i++) t.equal((await app.inject(login(email, 'a wrong password!', '192.0.2.10'))).statusCode, 401)
    const blocked = await app.inject(login(email, strongPassword, '192.0.2.10'))
    t.equal(blocked.statusCode, 429)
    t.equal(problemOf(blocked).code, 'rate_limited')
    t.equal(blocked.headers['retry-after'], '1')
    t.equal((await app.inject(login(email, strongPassword, '192.0.2.11'))).statusCode, 201, 'the user elsewhere is not blocked')
  })

  t.test('grow Retry-After exponentially with further failures', async t => {
    const { email } = await register(app)
    for (let i = 0; i < 3; i++) await app.inject(login(email, 'a wrong password!', '192.0.2.20'))
    await new Promise(resolve => setTimeout(resolve, 1100))
    t.equal((await app.inject(login(email, 'a wrong password!', '192.0.2.20'))).statusCode, 401, 'allowed again once the block ran out')
    const blocked = await app.inject(login(email, strongPassword, '192.0.2.20'))
    t.equal(blocked.statusCode, 429)
    t.equal(blocked.headers['retry-after'], '2', 'the next block is twice as long')
  })

  t.test('do not let an attacker elsewhere lock the real user out of a network it logged in from (ASVS 6.1.1)', async t => {
    const user = await registeredUser(app)
    await app.inject(login(user.email, strongPassword, '192.0.2.30'))
    // 10 × LOGIN_FAILURES_MAX failures from ten networks trip the per-email block.
    for (let n = 0; n < 10; n++) {
      for (let i = 0; i < 3; i++) await app.inject(login(user.email, 'a wrong password!', `203.0.113.${100 + n}`))
    }
    const stranger = await app.inject(login(user.email, strongPassword, '203.0.113.250'))
    t.equal(stranger.statusCode, 429, 'a new network waits while the email is under attack')
    t.equal((await app.inject(login(user.email, strongPassword, '192.0.2.30'))).statusCode, 201, 'the user\'s known network still logs in')
  })

  t.test('count unknown emails exactly like known ones (no enumeration through limits)', async t => {
    const unknown = uniqueEmail()
    for (let i = 0; i < 3; i++) await app.inject(login(unknown, 'a wrong password!', '192.0.2.40'))
    t.equal((await app.inject(login(unknown, 'a wrong password!', '192.0.2.40'))).statusCode, 429)
  })

  t.test('rate-limit registrations that hit existing emails like failed log-ins', async t => {
    const { email } = await register(app)
    const attempt = async () => await app.inject({ method: 'POST', url: '/accounts', payload: { email, password: strongPassword, name: 'Probe' }, remoteAddress: '192.0.2.50' })
    for (let i = 0; i < 3; i++) t.equal((await attempt()).statusCode, 409)
    t.equal((await attempt()).statusCode, 429)
  })
})

t.test('log in answers the same for an unknown email and a wrong password, and runs one argon2 verification for each (ASVS 6.3.8)', async t => {
  const { app } = await build(t, { env: { LOGIN_FAILURES_MAX: '100000', RATE_LIMIT_IP_MAX: '100000' } })
  const { email } = await register(app)
  const bodies = new Set<string>()
  // The oracle is the work done, not the clock: the same one verification, against a dummy hash of
  // the configured parameters when the email is unknown, is what makes both answers take as long.
  const attempt = async (address: string): Promise<number> => {
    const before = app.passwordHasher.verifications
    const response = await app.inject(login(address, 'not the right password', '192.0.2.60'))
    bodies.add(`${response.statusCode}${response.body}`)
    return app.passwordHasher.verifications - before
  }
  for (let i = 0; i < 5; i++) {
    t.equal(await attempt(uniqueEmail()), 1, 'an unknown email runs one verification')
    t.equal(await attempt(email), 1, 'a wrong password runs one verification')
  }
  t.equal(bodies.size, 1, 'one status and body for both')
  t.match(await scrapeMetrics([app]), /latchkey_auth_password_verifications_total\{service="auth"\} \d+/, 'the verifications are a metric')
})

t.test('counter keys cannot collide through separators in an email (ASVS 6.1.1, 6.3.1)', { skip: await skipWithoutRedis() }, async t => {
  const { app } = await build(t, { env: { LOGIN_FAILURES_MAX: '3', RATE_LIMIT_IP_MAX: '10000' } })
  const victim = await register(app)
  const home = '203.0.113.7'
  t.equal((await app.inject(login(victim.email, strongPassword, home))).statusCode, 201, 'the victim logs in from home')
  // The attacker's own email, failed from ten networks: its per-email counter must stay its own,
  // not become the victim's (email, home) pair.
  const forged = `${victim.email}:${home}`
  for (let n = 0; n < 10; n++) {
    for (let i = 0; i < 3; i++) await app.inject(login(forged, 'a wrong password!', `198.51.100.${10 + n}`))
  }
  t.equal((await app.inject(login(forged, 'a wrong password!', '198.51.100.99'))).statusCode, 429, 'the forged email itself is blocked')
  t.equal((await app.inject(login(victim.email, strongPassword, home))).statusCode, 201, 'the victim still logs in from home')
})
