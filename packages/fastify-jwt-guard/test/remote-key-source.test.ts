/**
 * The remote key source against a local JWKS server: one fetch serves many checks, an unknown kid
 * refetches at most once per interval (a new key is found without a request flood), and only Ed25519
 * public keys are ever imported.
 */
import t, { type Test } from 'tap'
import { createServer } from 'node:http'
import { generateKeyPairSync } from 'node:crypto'
import { exportJWK } from 'jose'
import { createAccessTokenVerifier, createRemoteKeySource, RevocationView, type RemoteKeySource } from '../src/index.js'
import { createInProcessRevocationStore } from '@latchkey/revocation-publisher'
import { AUDIENCE, ISSUER, createKey, signToken, sleep, type TestKey, startProducer } from './helper.js'

interface JwksServer { url: string, requests: () => number, serve: (body: unknown, status?: number) => void }

async function jwksServer (t: Test): Promise<JwksServer> {
  let body: unknown = { keys: [] }
  let status = 200
  let requests = 0
  const server = createServer((_request, response) => {
    requests++
    response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body))
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>(resolve => server.close(() => { resolve() })))
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('no address')
  return {
    url: `http://127.0.0.1:${address.port}/.well-known/jwks.json`,
    requests: () => requests,
    serve (next, nextStatus = 200) { body = next; status = nextStatus }
  }
}

function source (t: Test, url: string, refetchIntervalMs = 300): RemoteKeySource {
  const keys = createRemoteKeySource({ url, refetchIntervalMs })
  t.teardown(() => { keys.close() })
  return keys
}

async function verifierWith (t: Test, keys: RemoteKeySource): Promise<ReturnType<typeof createAccessTokenVerifier>> {
  const feed = createInProcessRevocationStore()
  const view = new RevocationView(feed)
  await view.start()
  t.teardown(() => view.close())
  startProducer(t, feed)
  await view.whenFresh(2_000)
  return createAccessTokenVerifier({ keys, issuer: ISSUER, audience: AUDIENCE, revocations: view, maxLifetimeSeconds: 900 })
}

t.test('fetches the JWKS once and verifies many tokens from the cached keys', async t => {
  const server = await jwksServer(t)
  const key = await createKey()
  server.serve({ keys: [key.jwk] })
  const keys = source(t, server.url)
  await keys.ready()
  const verifier = await verifierWith(t, keys)
  for (let i = 0; i < 5; i++) t.match(await verifier.check(await signToken(key)), { ok: true })
  t.equal(server.requests(), 1)
})

t.test('refetches for an unknown kid at most once per refetchIntervalMs, then finds a newly published key', async t => {
  const server = await jwksServer(t)
  const oldKey = await createKey()
  server.serve({ keys: [oldKey.jwk] })
  const keys = source(t, server.url, 300)
  await keys.ready()
  const verifier = await verifierWith(t, keys)
  const newKey: TestKey = await createKey()
  const token = await signToken(newKey)

  await sleep(320)
  t.match(await verifier.check(token), { ok: false, reason: 'invalid' }, 'not published yet')
  t.equal(server.requests(), 2, 'the unknown kid caused one refetch')
  server.serve({ keys: [oldKey.jwk, newKey.jwk] })
  for (let i = 0; i < 10; i++) t.match(await verifier.check(token), { ok: false, reason: 'invalid' })
  t.equal(server.requests(), 2, 'ten more unknown-kid checks inside the interval fetched nothing')

  await sleep(320)
  t.match(await verifier.check(token), { ok: true }, 'after the interval the new key is fetched')
  t.equal(server.requests(), 3)
})

t.test('concurrent checks with an unknown kid share one fetch', async t => {
  const server = await jwksServer(t)
  const key = await createKey()
  server.serve({ keys: [] })
  const keys = source(t, server.url, 0)
  await keys.ready()
  server.serve({ keys: [key.jwk] })
  const verifier = await verifierWith(t, keys)
  const results = await Promise.all([1, 2, 3, 4].map(async () => await verifier.check(await signToken(key))))
  for (const result of results) t.match(result, { ok: true })
  t.equal(server.requests(), 2)
})

t.test('imports only Ed25519 public keys and ignores RSA, EC, non-EdDSA and private members', async t => {
  const server = await jwksServer(t)
  const good = await createKey()
  const rsa = { ...await exportJWK(generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey), kid: 'rsa' }
  const ec = { ...await exportJWK(generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey), kid: 'ec' }
  const { privateKey } = generateKeyPairSync('ed25519')
  const withPrivate = { ...await exportJWK(privateKey), kid: 'with-d', alg: 'EdDSA' }
  server.serve({ keys: [rsa, ec, { ...good.jwk, kid: 'wrong-alg', alg: 'ES256' }, { ...good.jwk, kid: 'enc', use: 'enc' }, { kty: 'OKP', crv: 'Ed25519', x: 'AAAA', kid: 'bad-point' }, withPrivate, 'junk', good.jwk] })
  const keys = source(t, server.url, 60_000)
  await keys.ready()
  for (const kid of ['rsa', 'ec', 'wrong-alg', 'enc', 'bad-point']) t.equal(keys.getKey(kid), undefined, kid)
  t.equal((await keys.getKey('with-d'))?.type, 'public', 'a stray private member still yields only a public key')
  t.equal((await keys.getKey(good.kid))?.asymmetricKeyType, 'ed25519')
})

t.test('ready() rejects when the first fetch fails; the source recovers on a later refetch', async t => {
  const server = await jwksServer(t)
  server.serve({ error: 'down' }, 500)
  const keys = source(t, server.url, 0)
  await t.rejects(keys.ready(), /500/)
  const key = await createKey()
  server.serve({ keys: [key.jwk] })
  t.equal((await keys.getKey(key.kid))?.asymmetricKeyType, 'ed25519')
})

t.test('while the JWKS cannot be fetched an unknown kid is keys_unavailable (503), not invalid, and is not refetched per token', async t => {
  const server = await jwksServer(t)
  server.serve({ error: 'down' }, 500)
  const keys = source(t, server.url, 60_000)
  await t.rejects(keys.ready(), /500/)
  const verifier = await verifierWith(t, keys)
  const key = await createKey()
  for (let i = 0; i < 10; i++) t.match(await verifier.check(await signToken(key)), { ok: false, reason: 'keys_unavailable' })
  t.equal(server.requests(), 1, 'ten checks inside the interval fetched nothing more')
})

t.test('the periodic refresh does not use up the unknown-kid refetch: a key published since is found once the interval has passed', async t => {
  const server = await jwksServer(t)
  const oldKey = await createKey()
  server.serve({ keys: [oldKey.jwk] })
  const keys = createRemoteKeySource({ url: server.url, refetchIntervalMs: 300, refreshMs: 50 })
  t.teardown(() => { keys.close() })
  await keys.ready()
  await sleep(350)
  t.ok(server.requests() > 2, 'refreshed periodically, the last time well inside the interval')
  keys.close()
  await sleep(30) // a refresh still in flight answers with the old key set
  const newKey = await createKey()
  server.serve({ keys: [oldKey.jwk, newKey.jwk] })
  t.equal((await keys.getKey(newKey.kid))?.asymmetricKeyType, 'ed25519')
})

t.test('a withdrawn key lets the next unknown kid refetch at once: its replacement is taken without waiting out the interval (ASVS 13.3.4)', async t => {
  const server = await jwksServer(t)
  const oldKey = await createKey()
  server.serve({ keys: [oldKey.jwk] })
  const keys = source(t, server.url, 60_000)
  await keys.ready()
  const feed = createInProcessRevocationStore()
  const view = new RevocationView(feed, { onKeyRevoked: () => { keys.keySetChanged() } })
  await view.start()
  t.teardown(() => view.close())
  startProducer(t, feed)
  await view.whenFresh(2_000)
  const verifier = createAccessTokenVerifier({ keys, issuer: ISSUER, audience: AUDIENCE, revocations: view, maxLifetimeSeconds: 900 })

  const replacement = await createKey()
  const early = await signToken(replacement)
  t.match(await verifier.check(early), { ok: false, reason: 'invalid' }, 'an unknown kid: one refetch, nothing found')
  const before = server.requests()
  t.match(await verifier.check(early), { ok: false, reason: 'invalid' })
  t.equal(server.requests(), before, 'and no more inside the interval')

  // The emergency rotation: the old key withdrawn, the issuer publishes and signs with the replacement.
  server.serve({ keys: [replacement.jwk] })
  await feed.publish([{ kind: 'key', kid: oldKey.kid, expiresAt: Date.now() + 60_000 }])
  await sleep(50)
  t.match(await verifier.check(await signToken(replacement)), { ok: true }, 'the replacement is accepted at once')
  t.match(await verifier.check(await signToken(oldKey)), { ok: false }, 'the withdrawn key is not')
})
