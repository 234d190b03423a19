import t from 'tap'
import { spawnSync } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { rmSync, writeFileSync } from 'node:fs'
import { Writable } from 'node:stream'
import Fastify from 'fastify'
import { Type } from '@sinclair/typebox'
import {
  bearerChallenge, fastifyProblem, HttpProblem, namedLogger, processLog, requestIdOptions, serviceLoggerOptions, wantsPrettyLogs
} from '../src/index.js'

async function app (trustedProxies: string[] = []) {
  const app = Fastify(requestIdOptions(trustedProxies))
  // A catch-all like the CORS preflight route, registered first as the services' CORS plugin is.
  app.options('*', async (_request, reply) => reply.code(204).send())
  await app.register(fastifyProblem)
  app.get('/things/:id', { schema: { params: Type.Object({ id: Type.String() }) } }, async () => ({ ok: true }))
  app.put('/things/:id', async () => ({ ok: true }))
  app.post('/things', async () => ({ ok: true }))
  app.get('/locked', async () => { throw new HttpProblem(401, 'unauthorized', 'No credentials') })
  return app
}

t.test('405 › a known path asked with another method answers 405 problem+json naming the allowed methods', async t => {
  const server = await app()
  const response = await server.inject({ method: 'DELETE', url: '/things/42?x=1' })
  t.equal(response.statusCode, 405)
  t.match(response.headers['content-type'], /^application\/problem\+json/)
  t.equal(response.headers.allow, 'GET, HEAD, PUT')
  t.equal(response.json().code, 'method_not_allowed')
  const post = await server.inject({ method: 'PATCH', url: '/things' })
  t.equal(post.statusCode, 405)
  t.equal(post.headers.allow, 'POST')
})

t.test('405 › an unknown path stays a 404 without Allow, even with a catch-all OPTIONS route', async t => {
  const server = await app()
  const response = await server.inject({ method: 'GET', url: '/nowhere' })
  t.equal(response.statusCode, 404)
  t.equal(response.json().code, 'not_found')
  t.equal(response.headers.allow, undefined)
})

t.test('WWW-Authenticate › a 401 thrown without a challenge gets the bare Bearer one', async t => {
  const server = await app()
  const response = await server.inject({ method: 'GET', url: '/locked' })
  t.equal(response.statusCode, 401)
  t.equal(response.headers['www-authenticate'], 'Bearer realm="latchkey"')
})

t.test('WWW-Authenticate › bearerChallenge writes RFC 6750 error attributes and refuses characters that would break them', async t => {
  t.equal(bearerChallenge({ error: 'invalid_token', description: 'The access token has expired' }),
    'Bearer realm="latchkey", error="invalid_token", error_description="The access token has expired"')
  t.throws(() => bearerChallenge({ error: 'invalid_token', description: 'a "quoted" word' }))
  t.throws(() => bearerChallenge({ error: 'invalid_token', description: 'a back\\slash' }))
})

t.test('request id › X-Request-Id is adopted from a trusted proxy and echoed', async t => {
  const server = await app(['10.0.0.0/8'])
  const response = await server.inject({ method: 'GET', url: '/things/1', remoteAddress: '10.1.2.3', headers: { 'x-request-id': 'edge-abc.123' } })
  t.equal(response.headers['x-request-id'], 'edge-abc.123')
})

t.test('request id › X-Request-Id from anyone else, or malformed, is replaced by a generated id', async t => {
  const server = await app(['10.0.0.0/8'])
  const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/
  const untrusted = await server.inject({ method: 'GET', url: '/things/1', remoteAddress: '203.0.113.7', headers: { 'x-request-id': 'planted' } })
  t.match(untrusted.headers['x-request-id'], uuid)
  const malformed = await server.inject({ method: 'GET', url: '/things/1', remoteAddress: '10.1.2.3', headers: { 'x-request-id': 'has space\nand a newline' } })
  t.match(malformed.headers['x-request-id'], uuid)
  const noProxies = await app()
  const fromLoopback = await noProxies.inject({ method: 'GET', url: '/things/1', headers: { 'x-request-id': 'planted' } })
  t.match(fromLoopback.headers['x-request-id'], uuid)
  t.not(untrusted.headers['x-request-id'], fromLoopback.headers['x-request-id'], 'each request gets its own id')
})

t.test('request id › the 404 and 405 answers echo it too', async t => {
  const server = await app(['127.0.0.1'])
  for (const request of [{ method: 'GET' as const, url: '/nowhere' }, { method: 'DELETE' as const, url: '/things' }]) {
    const response = await server.inject({ ...request, headers: { 'x-request-id': 'trace-7' } })
    t.equal(response.headers['x-request-id'], 'trace-7')
  }
})

/** Runs an ES module from a service's folder (so it resolves packages as that service does), without tap's loaders. */
function runIn (service: 'auth' | 'users', source: string, env: Record<string, string> = {}) {
  const file = new URL(`../../../../services/${service}/.conventions-${randomUUID()}.mjs`, import.meta.url)
  writeFileSync(file, source)
  try {
    const { NODE_OPTIONS: _loaders, ...inherited } = process.env
    return spawnSync(process.execPath, [file.pathname], { encoding: 'utf8', env: { ...inherited, ...env } })
  } finally {
    rmSync(file)
  }
}

function capture (): { lines: Array<Record<string, unknown>>, stream: Writable } {
  const lines: Array<Record<string, unknown>> = []
  const stream = new Writable({ write (chunk: Buffer, _encoding, done) { lines.push(JSON.parse(chunk.toString())); done() } })
  return { lines, stream }
}

t.test('logs › every line of a request names the service and carries the request id', async t => {
  const { lines, stream } = capture()
  const server = Fastify({ logger: namedLogger('users', { level: 'info', stream }), ...requestIdOptions(['127.0.0.1']) })
  await server.register(fastifyProblem)
  server.get('/ping', async request => { request.log.info('handled'); return { ok: true } })
  await server.inject({ method: 'GET', url: '/ping', headers: { 'x-request-id': 'trace-9' } })
  t.ok(lines.length >= 3, 'request, handler and response lines')
  for (const line of lines) {
    t.equal(line.service, 'users')
    t.equal(line.reqId, 'trace-9')
  }
})

t.test('logs › serviceLoggerOptions names the service and redacts; a logger instance becomes a named child', async t => {
  const options = serviceLoggerOptions('auth', { level: 'warn', redact: ['password'], pretty: false })
  t.match(options, { level: 'warn', base: { service: 'auth' }, redact: { paths: ['password'] } })
  t.equal((options as { transport?: unknown }).transport, undefined, 'JSON unless pretty')
  const { lines, stream } = capture()
  const server = Fastify({ logger: { level: 'info', stream } })
  const child = namedLogger('auth', server.log)
  child.info({ password: 'x' }, 'hello')
  t.equal(lines.at(-1)?.service, 'auth')
  t.equal(namedLogger('auth', false), false, 'a disabled logger stays disabled')
})

t.test('logs › pretty only for a terminal outside production', async t => {
  t.equal(wantsPrettyLogs('development', { isTTY: true }), true)
  t.equal(wantsPrettyLogs(undefined, { isTTY: true }), true)
  t.equal(wantsPrettyLogs('production', { isTTY: true }), false)
  t.equal(wantsPrettyLogs('development', { isTTY: false }), false)
  t.equal(wantsPrettyLogs('development', {}), false)
})

t.test('logs › the pretty transport really prints readable lines (pino-pretty resolves from a service)', async t => {
  const script = `
    import Fastify from 'fastify'
    import { serviceLoggerOptions } from '@latchkey/fastify-problem'
    const app = Fastify({ logger: serviceLoggerOptions('users', { level: 'info', redact: ['password'], pretty: true }) })
    app.log.info({ password: 'hunter2-secret' }, 'readable line')
    await app.close()
  `
  // Run from the users service, whose own node_modules do not hold pino-pretty.
  const run = runIn('users', script, { NO_COLOR: '1' })
  t.equal(run.status, 0, run.stderr)
  t.match(run.stdout, /INFO.*users › readable line/)
  t.notOk(run.stdout.trim().startsWith('{'), 'not JSON')
  t.notMatch(run.stdout, /hunter2-secret/, 'redaction still applies')
})

t.test('logs › processLog writes pino-shaped JSON lines naming the service', async t => {
  const script = `
    import { processLog } from '@latchkey/fastify-problem'
    processLog('auth').warn({ err: new Error('boom') }, 'redis unreachable')
  `
  const run = runIn('auth', script)
  t.equal(run.status, 0, run.stderr)
  const line = JSON.parse(run.stdout) as Record<string, unknown>
  t.match(line, { level: 40, service: 'auth', msg: 'redis unreachable', err: { type: 'Error', message: 'boom' } })
  t.type(line.time, 'number')
  t.type(processLog('users').info, 'function')
})
