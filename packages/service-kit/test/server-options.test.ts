import t from 'tap'
import { Writable } from 'node:stream'
import { createServiceApp, KEEP_ALIVE_TIMEOUT_MS, logRedaction, serverOptions } from '../src/index.js'

t.test('serverOptions › one keep-alive for both services, longer than a load balancer\'s 60 s idle timeout', async t => {
  for (const service of ['auth', 'users'] as const) {
    const options = serverOptions({ service, logLevel: 'silent', nodeEnv: 'test', trustedProxies: [] })
    t.equal(options.keepAliveTimeout, KEEP_ALIVE_TIMEOUT_MS)
    t.equal(options.bodyLimit, 16 * 1024)
    t.equal(options.trustProxy, false, 'nobody is a trusted proxy unless named')
  }
  t.equal(KEEP_ALIVE_TIMEOUT_MS, 72_000, 'above the 60 s idle timeout of the usual load balancers')
  t.same(serverOptions({ service: 'auth', logLevel: 'info', nodeEnv: 'test', trustedProxies: ['10.0.0.1'] }).trustProxy, ['10.0.0.1'])
})

t.test('createServiceApp › secrets in headers and bodies never reach the logs, and every line names its service', async t => {
  const defaults = serverOptions({ service: 'users', logLevel: 'info', nodeEnv: 'test', trustedProxies: [] })
  t.match(defaults.logger, { redact: { paths: logRedaction } }, 'the default logger redacts the shared list')
  const lines: string[] = []
  const stream = new Writable({ write (chunk: Buffer, _encoding, done) { lines.push(chunk.toString()); done() } })
  const app = createServiceApp({
    service: 'users',
    logLevel: 'trace',
    nodeEnv: 'test',
    trustedProxies: [],
    logger: { level: 'trace', stream, redact: { paths: logRedaction, censor: '[redacted]' } }
  })
  t.teardown(async () => { await app.close() })
  app.post('/echo', async request => {
    request.log.info({ body: request.body }, 'one level down')
    request.log.info(request.body as object, 'top level')
    request.log.info({ body: { code: '402913' } }, 'a TOTP code one level down')
    return { ok: true }
  })
  const secrets = { password: 'hunter2-secret', refreshToken: 'rt-secret', accessToken: 'at-secret', currentPassword: 'cp-secret', newPassword: 'np-secret', token: 'recovery-secret', mfaToken: 'mfa-secret', secret: 'totp-secret', recoveryCode: 'rc-secret' }
  const response = await app.inject({ method: 'POST', url: '/echo', payload: secrets, headers: { authorization: 'Bearer bearer-secret', cookie: 'sid=cookie-secret' } })
  t.equal(response.statusCode, 200)
  const log = lines.join('')
  t.match(log, /\[redacted\]/)
  for (const secret of [...Object.values(secrets), 'bearer-secret', 'cookie-secret', '402913']) t.notMatch(log, secret)
  t.ok(lines.length > 0 && lines.every(line => (JSON.parse(line) as { service?: string }).service === 'users'))
})

t.test('createServiceApp › validates bodies strictly: no coercion, unknown properties refused', async t => {
  const app = createServiceApp({ service: 'auth', logLevel: 'silent', nodeEnv: 'test', trustedProxies: [] })
  t.teardown(async () => { await app.close() })
  app.post('/strict', { schema: { body: { type: 'object', properties: { n: { type: 'string' } }, additionalProperties: false } } }, async () => ({ ok: true }))
  t.equal((await app.inject({ method: 'POST', url: '/strict', payload: { n: 1 } })).statusCode, 400)
  t.equal((await app.inject({ method: 'POST', url: '/strict', payload: { n: '1', extra: true } })).statusCode, 400)
  t.equal((await app.inject({ method: 'POST', url: '/strict', payload: { n: '1' } })).statusCode, 200)
})

t.test('createServiceApp › the client address: X-Forwarded-For only from a trusted proxy, and a malformed one is ignored for the proxy\'s own address (ASVS 4.1.3, 15.3.4; RFC 9700 4.13)', async t => {
  const app = createServiceApp({ service: 'auth', logLevel: 'silent', nodeEnv: 'test', trustedProxies: ['10.0.0.1'] })
  t.teardown(async () => { await app.close() })
  app.get('/ip', async request => ({ ip: request.ip }))
  const ipOf = async (remoteAddress: string, forwarded?: string): Promise<unknown> =>
    (await app.inject({ method: 'GET', url: '/ip', remoteAddress, headers: forwarded === undefined ? {} : { 'x-forwarded-for': forwarded } })).json<{ ip: string }>().ip
  t.equal(await ipOf('10.0.0.1', '203.0.113.7'), '203.0.113.7', 'the trusted proxy names the client')
  t.equal(await ipOf('10.0.0.1', '198.51.100.1, 203.0.113.7'), '203.0.113.7', 'the hop the proxy appended, not what the client wrote before it')
  t.equal(await ipOf('198.51.100.9', '203.0.113.7'), '198.51.100.9', 'anyone else\'s header is ignored')
  t.equal(await ipOf('198.51.100.9', '10.0.0.1'), '198.51.100.9', 'naming the proxy does not make a peer the proxy')
  for (const malformed of ['not-an-ip', '203.0.113.7:4444', '203.0.113.7, 2001:db8::1%eth0;x', '<script>', '999.1.1.1']) {
    t.equal(await ipOf('10.0.0.1', malformed), '10.0.0.1', `malformed from the proxy: ${malformed}`)
  }
})
