/**
 * The users service against a real little HTTP server standing in for the auth service's JWKS
 * endpoint (stopped = a closed port). A valid token is not invalid just because the keys cannot
 * be fetched: that is 503, and an unknown kid refetches at most once per JWKS_REFETCH_INTERVAL.
 */
import t, { type Test } from 'tap'
import { createServer, type Server } from 'node:http'
import { randomUUID } from 'node:crypto'
import { generateKeyPair } from 'jose'
import { freePort } from '@latchkey/test-support'
import { build, createSigningKey, waitFor, type UsersWorld } from './helper.js'

interface JwksServer {
  url: string
  /** Requests that reached the server, whatever it answered. */
  requests: () => number
  /** Listens and answers `status` with `body`. */
  start: (body: unknown, status?: number) => Promise<void>
  /** Closes the port: connections are refused. */
  stop: () => Promise<void>
}

async function jwksServer (t: Test): Promise<JwksServer> {
  const port = await freePort()
  let requests = 0
  let answer = { body: {} as unknown, status: 200 }
  let server: Server | undefined
  const stop = async (): Promise<void> => {
    const closing = server
    server = undefined
    if (closing !== undefined) await new Promise<void>(resolve => { closing.close(() => { resolve() }); closing.closeAllConnections() })
  }
  t.teardown(stop)
  return {
    url: `http://127.0.0.1:${port}/.well-known/jwks.json`,
    requests: () => requests,
    async start (body, status = 200) {
      answer = { body, status }
      if (server !== undefined) return
      server = createServer((_request, response) => {
        requests++
        response.writeHead(answer.status, { 'content-type': 'application/json' }).end(JSON.stringify(answer.body))
      })
      await new Promise<void>(resolve => server?.listen(port, '127.0.0.1', resolve))
    },
    stop
  }
}

async function me (world: UsersWorld, token: string): Promise<{ statusCode: number, code: string | undefined, type: string | undefined, retryAfter: string | undefined }> {
  const response = await world.app.inject({ method: 'GET', url: '/users/me', headers: { authorization: `Bearer ${token}` } })
  const header = response.headers['content-type']
  return {
    statusCode: response.statusCode,
    code: response.statusCode === 200 ? undefined : response.json<{ code: string }>().code,
    type: typeof header === 'string' ? header : undefined,
    retryAfter: response.headers['retry-after']
  }
}

/** A well-formed token signed by a key the JWKS never listed, under a made-up kid. */
async function strangerToken (world: UsersWorld): Promise<string> {
  const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' })
  return await world.token({ key: privateKey, kid: randomUUID() })
}

t.test('JWKS unreachable: a valid token answers 503 service_unavailable, not 401; once the keys are fetched, 200; an unknown kid after a successful refetch stays 401 (ASVS 16.5.2, 16.5.3)', async t => {
  const server = await jwksServer(t)
  const world = await build(t, { jwksUrl: server.url, env: { JWKS_REFETCH_INTERVAL: '1' } })
  const { token } = await world.account('Katherine Johnson')

  const down = await me(world, token)
  t.equal(down.statusCode, 503, 'the keys cannot be fetched (closed port): unavailable, not invalid')
  t.equal(down.code, 'service_unavailable')
  t.match(down.type, /application\/problem\+json/)
  t.ok(down.retryAfter, 'with Retry-After')

  await server.start(world.jwks)
  await waitFor(async () => (await me(world, token)).statusCode === 200, 10_000)
  t.pass('the valid token is accepted once the JWKS answers')
  const stranger = await me(world, await strangerToken(world))
  t.equal(stranger.statusCode, 401, 'a kid the fetched JWKS does not list is invalid')
  t.equal(stranger.code, 'token_invalid')

  await server.stop()
  t.equal((await me(world, token)).statusCode, 200, 'known keys stay cached while the JWKS is down')
  await new Promise(resolve => setTimeout(resolve, 1100))
  const unknownWhileDown = await me(world, await strangerToken(world))
  t.equal(unknownWhileDown.statusCode, 503, 'an unknown kid while the JWKS cannot be fetched: it may be a new key, so 503')
  t.equal(unknownWhileDown.code, 'service_unavailable')
})

t.test('a flood of made-up kids refetches the JWKS at most once per JWKS_REFETCH_INTERVAL, whether it answers or fails', async t => {
  const answering = await jwksServer(t)
  const signingKey = await createSigningKey()
  await answering.start({ keys: [signingKey.jwk] })
  const world = await build(t, { jwksUrl: answering.url, signingKey, env: { JWKS_REFETCH_INTERVAL: '60' } })
  t.equal((await me(world, (await world.account()).token)).statusCode, 200, 'the keys were fetched at start')
  const before = answering.requests()
  const flood = await Promise.all(Array.from({ length: 50 }, async () => await me(world, await strangerToken(world))))
  t.same([...new Set(flood.map(answer => answer.statusCode))], [401], 'every made-up kid is invalid')
  t.ok(answering.requests() - before <= 1, `at most one refetch for 50 unknown kids (made ${answering.requests() - before})`)

  const failing = await jwksServer(t)
  await failing.start({ error: 'down' }, 500)
  const stranded = await build(t, { jwksUrl: failing.url, env: { JWKS_REFETCH_INTERVAL: '60' } })
  const { token } = await stranded.account()
  const answers = await Promise.all(Array.from({ length: 50 }, async () => await me(stranded, token)))
  t.same([...new Set(answers.map(answer => answer.statusCode))], [503], 'a valid token is unavailable, never invalid, while the JWKS fails')
  t.ok(failing.requests() <= 2, `the first fetch plus at most one refetch (made ${failing.requests()})`)
})
