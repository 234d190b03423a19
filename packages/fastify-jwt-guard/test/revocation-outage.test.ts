/**
 * What happens when Redis goes away, on a private redis-server child this file may kill: resync
 * after the subscriber reconnects, fail closed (503) once no heartbeat came for maxStalenessMs,
 * recovery, a start while Redis is down, and the seeded epoch after data loss. A test producer
 * plays the auth service's relay (seed when unseeded, heartbeat).
 */
import t, { type Test } from 'tap'
import { Redis } from 'ioredis'
import { createAccessTokenVerifier, createStaticKeySource, RevocationView, type RevocationEntry } from '../src/index.js'
import { AUDIENCE, ISSUER, buildApp, claims, createKey, ownRedis, randomPrefix, redisStore, signToken, sleep, startProducer, waitFor, type RevocationStore } from './helper.js'

function feedFor (t: Test, url: string, prefix: string): RevocationStore {
  return redisStore(t, url, prefix)
}

function client (t: Test, url: string): Redis {
  const redis = new Redis(url)
  redis.on('error', () => {})
  t.teardown(() => { redis.disconnect() })
  return redis
}

t.test('reloads everything after the subscriber reconnects, catching entries whose broadcast was missed', async t => {
  const redis = await ownRedis(t)
  const prefix = randomPrefix()
  const view = new RevocationView(feedFor(t, redis.url, prefix))
  t.teardown(() => view.close())
  await view.start()
  startProducer(t, feedFor(t, redis.url, prefix))
  await view.whenFresh(3_000)
  const admin = client(t, redis.url)
  // Recorded durably but never broadcast: only a reload can find it.
  await admin.zadd(`${prefix}revoked:sessions`, Date.now() + 60_000, 'missed-session')
  await sleep(100)
  t.equal(view.isRevoked('missed-session', 'x', 0), false, 'not broadcast, so not yet seen')
  const killed = await admin.call('CLIENT', 'KILL', 'TYPE', 'pubsub')
  t.ok(Number(killed) >= 1, 'the subscriber connections (the view\'s, the producer\'s) were killed')
  await waitFor(() => view.isRevoked('missed-session', 'x', 0), 10_000)
  t.pass('the resync after the reconnection found the revocation that was never broadcast')
  await waitFor(() => !view.isStale(), 10_000)
})

t.test('answers 503 once Redis is down longer than maxStalenessMs, keeps refusing revoked tokens before that, and recovers (fails closed, ASVS 16.5.3)', async t => {
  const redis = await ownRedis(t)
  const prefix = randomPrefix()
  const key = await createKey()
  const view = new RevocationView(feedFor(t, redis.url, prefix), { maxStalenessMs: 3_000 })
  t.teardown(() => view.close())
  await view.start()
  startProducer(t, feedFor(t, redis.url, prefix))
  await view.whenFresh(3_000)
  const verifier = createAccessTokenVerifier({ keys: createStaticKeySource({ keys: [key.jwk] }), issuer: ISSUER, audience: AUDIENCE, revocations: view, maxLifetimeSeconds: 900 })
  const app = await buildApp(t, verifier)
  const revoked = claims()
  await feedFor(t, redis.url, prefix).publish([{ kind: 'session', sid: revoked.sid, expiresAt: Date.now() + 60_000 }])
  await waitFor(() => view.size.sessions === 1, 1_000)
  const good = { authorization: `Bearer ${await signToken(key)}` }
  const bad = { authorization: `Bearer ${await signToken(key, revoked)}` }

  t.ok(await view.whenFresh(5_000), 'fresh while the producer heartbeats')
  await redis.stop()
  t.equal((await app.inject({ url: '/me', headers: good })).statusCode, 200, 'within maxStalenessMs a valid token passes')
  t.equal((await app.inject({ url: '/me', headers: bad })).json().code, 'token_revoked', 'and a revoked one is still refused from memory')

  await waitFor(async () => (await app.inject({ url: '/me', headers: good })).statusCode === 503, 10_000)
  const unavailable = await app.inject({ url: '/me', headers: good })
  t.equal(unavailable.json().code, 'service_unavailable')
  t.equal(unavailable.headers['retry-after'], '1')
  t.match(unavailable.headers['content-type'], /^application\/problem\+json/)
  t.ok(view.ageMs >= 3_000, 'the 503 comes only once the view is older than maxStalenessMs')

  await redis.start()
  await waitFor(async () => (await app.inject({ url: '/me', headers: good })).statusCode === 200, 10_000)
  t.equal(view.isStale(), false, 'recovered once Redis returned')
  t.equal((await app.inject({ url: '/me', headers: bad })).json().code, 'token_revoked', 'the revocation outlives a Redis that lost its data')
})

t.test('starts without throwing while Redis is unreachable, stays stale, and becomes fresh when Redis comes up', async t => {
  const redis = await ownRedis(t)
  const prefix = randomPrefix()
  const admin = client(t, redis.url)
  await admin.zadd(`${prefix}revoked:sessions`, Date.now() + 60_000, 'preexisting')
  await redis.stop()
  const view = new RevocationView(feedFor(t, redis.url, prefix), { maxStalenessMs: 1_500 })
  t.teardown(() => view.close())
  await view.start()
  startProducer(t, feedFor(t, redis.url, prefix))
  t.equal(view.isStale(), true, 'stale before anything was loaded')
  await redis.start()
  await waitFor(() => !view.isStale(), 5_000)
  t.equal(view.isRevoked('preexisting', 'x', 0), false, 'the restarted Redis kept nothing (no persistence)')
  await feedFor(t, redis.url, prefix).publish([{ kind: 'session', sid: 'after-start', expiresAt: Date.now() + 60_000 }])
  await waitFor(() => view.isRevoked('after-start', 'x', 0), 1_000)
  t.equal(view.isRevoked('after-start', 'x', 0), true)
})

t.test('the epoch is gone after Redis lost its data (restart without persistence, FLUSHDB), and heartbeats stop until it is seeded again', async t => {
  const redis = await ownRedis(t)
  const prefix = randomPrefix()
  const feed = feedFor(t, redis.url, prefix)
  const epoch = await feed.seed([])
  t.equal(await feed.currentEpoch(), epoch)
  await redis.stop()
  await redis.start()
  await waitFor(async () => { try { return await feed.currentEpoch() === undefined } catch { return false } }, 5_000)
  t.equal(await feed.heartbeat(epoch), false, 'after a restart')
  const again = await feed.seed([])
  t.equal(await feed.heartbeat(again), true)
  await client(t, redis.url).flushdb()
  t.equal(await feed.currentEpoch(), undefined, 'after FLUSHDB of this private server')
  t.equal(await feed.heartbeat(again), false)
})

// How fast a million entries load is a benchmark's question (pnpm bench), not a test's: this
// checks only that a load spanning many chunks is complete and has no entry twice.
t.test('loadAll reads every entry of a large set, across chunk boundaries', async t => {
  const redis = await ownRedis(t)
  const prefix = randomPrefix()
  const admin = client(t, redis.url)
  const base = Date.now() + 3_600_000
  // Filled server-side: 180k sessions and 20k accounts with UUID-sized members and spread expiries.
  const fill = `for i = 1, tonumber(ARGV[2]) do
    redis.call('ZADD', KEYS[1], tonumber(ARGV[1]) + (i % 5000) * 1000, string.format(ARGV[3], i, i))
  end`
  await admin.eval(fill, 1, `${prefix}revoked:sessions`, base, 180_000, '%08x-0000-4000-8000-%012x')
  await admin.eval(fill, 1, `${prefix}revoked:account-versions`, base, 20_000, '%08x-1111-4000-8000-%012x:3')
  const feed = feedFor(t, redis.url, prefix)
  await waitFor(() => feed.isConnected(), 2_000)
  const entries: RevocationEntry[] = []
  let largestPage = 0
  await feed.loadAll(page => {
    entries.push(...page)
    largestPage = Math.max(largestPage, page.length)
  })
  t.equal(largestPage, 10_000, 'handed over in pages of at most one chunk, never all at once')
  t.equal(entries.length, 200_000)
  t.equal(entries.filter(entry => entry.kind === 'account').length, 20_000)
  t.equal(new Set(entries.map(entry => entry.kind === 'session' ? entry.sid : entry.kind === 'account' ? entry.sub : entry.kid)).size, 200_000, 'no entry twice')
})
