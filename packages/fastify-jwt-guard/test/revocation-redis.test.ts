/**
 * Revocations over the machine's Redis (random key prefix per test): publish on one feed, seen by
 * views on other feeds; the account token-version rule; loading everything at start; malformed
 * messages; freshness only from the producer's heartbeat.
 */
import t, { type Test } from 'tap'
import { Redis } from 'ioredis'
import { createAccessTokenVerifier, createStaticKeySource, RevocationView, type RevocationEntry } from '../src/index.js'
import {
  AUDIENCE, ISSUER, REDIS_URL, buildApp, claims, createKey, randomPrefix, redisStore, signToken, sleep, startProducer, waitFor, type RevocationStore, type TestKey
} from './helper.js'

function feedFor (t: Test, prefix: string): RevocationStore {
  return redisStore(t, REDIS_URL, prefix)
}

/** A started view, with a producer heartbeating on its own feed (as the auth service's relay does). */
async function viewFor (t: Test, prefix: string, options: { producer?: boolean, maxStalenessMs?: number } = {}): Promise<RevocationView> {
  const view = new RevocationView(feedFor(t, prefix), { maxStalenessMs: options.maxStalenessMs ?? 10_000 })
  t.teardown(() => view.close())
  await view.start()
  if (options.producer !== false) {
    startProducer(t, feedFor(t, prefix))
    await view.whenFresh(3_000)
  }
  return view
}

function cleanUp (t: Test, prefix: string): void {
  t.teardown(async () => {
    const redis = new Redis(REDIS_URL)
    await redis.del(`${prefix}revoked:sessions`, `${prefix}revoked:account-versions`, `${prefix}revoked:seeded`, `${prefix}revoked:seq`)
    redis.disconnect()
  })
}

async function appFor (t: Test, prefix: string, key: TestKey): Promise<ReturnType<typeof buildApp>> {
  const view = await viewFor(t, prefix)
  const verifier = createAccessTokenVerifier({ keys: createStaticKeySource({ keys: [key.jwk] }), issuer: ISSUER, audience: AUDIENCE, revocations: view, maxLifetimeSeconds: 900 })
  return await buildApp(t, verifier)
}

t.test('a session revocation published by one feed is refused by two separate apps once delivered (ASVS 7.4.1)', async t => {
  const prefix = randomPrefix()
  cleanUp(t, prefix)
  const key = await createKey()
  const apps = [await appFor(t, prefix, key), await appFor(t, prefix, key)]
  const payload = claims()
  const headers = { authorization: `Bearer ${await signToken(key, payload)}` }
  for (const app of apps) t.equal((await app.inject({ url: '/me', headers })).statusCode, 200, 'accepted before')

  const publisher = feedFor(t, prefix)
  await publisher.publish([{ kind: 'session', sid: payload.sid, expiresAt: Date.now() + 60_000 }])
  for (const app of apps) {
    await waitFor(async () => (await app.inject({ url: '/me', headers })).statusCode === 401, 10_000)
    t.equal((await app.inject({ url: '/me', headers })).json().code, 'token_revoked')
  }
})

t.test('an account revocation refuses tokens below its minVersion only (tv < minVersion)', async t => {
  const prefix = randomPrefix()
  cleanUp(t, prefix)
  const view = await viewFor(t, prefix)
  const sub = claims().sub
  const minVersion = 7
  await feedFor(t, prefix).publish([{ kind: 'account', sub, minVersion, expiresAt: Date.now() + 60_000 }])
  await waitFor(() => view.size.accounts === 1, 1_000)
  t.equal(view.isRevoked('any-sid', sub, minVersion - 1), true, 'the version just below is revoked')
  t.equal(view.isRevoked('any-sid', sub, minVersion), false, 'a token of the new version is live')
  t.equal(view.isRevoked('any-sid', sub, minVersion + 5), false, 'a later version is live')
  t.equal(view.isRevoked('any-sid', 'another-account', minVersion - 1), false, 'other accounts are untouched')

  view.apply({ kind: 'account', sub, minVersion: minVersion - 3, expiresAt: Date.now() + 60_000 })
  t.equal(view.isRevoked('any-sid', sub, minVersion - 1), true, 'an older, smaller minVersion never lowers the bar')
})

t.test('a view started later loads every live entry from Redis, and skips expired ones', async t => {
  const prefix = randomPrefix()
  cleanUp(t, prefix)
  const publisher = feedFor(t, prefix)
  await publisher.publish([
    { kind: 'session', sid: 'session-live', expiresAt: Date.now() + 60_000 },
    { kind: 'session', sid: 'session-expired', expiresAt: Date.now() - 1 },
    { kind: 'account', sub: 'account-live', minVersion: 2_000, expiresAt: Date.now() + 60_000 },
    { kind: 'account', sub: 'account-live', minVersion: 1_000, expiresAt: Date.now() + 60_000 }
  ])
  const first = await viewFor(t, prefix)
  t.same(first.size, { sessions: 1, accounts: 1 })
  await first.close()

  const restarted = await viewFor(t, prefix)
  t.equal(restarted.isStale(), false, 'fresh once the producer vouched for what it loaded')
  t.equal(restarted.isRevoked('session-live', 'x', 0), true)
  t.equal(restarted.isRevoked('session-expired', 'x', 0), false)
  t.equal(restarted.isRevoked('s', 'account-live', 1_999), true, 'the larger minVersion wins')
  const redis = new Redis(REDIS_URL)
  t.teardown(() => { redis.disconnect() })
  t.equal(await redis.zscore(`${prefix}revoked:sessions`, 'session-expired'), null, 'publish pruned the expired entry')
  t.equal(await redis.zcard(`${prefix}revoked:account-versions`), 2)
})

t.test('ignores malformed messages on the channel and still applies the next valid one', async t => {
  const prefix = randomPrefix()
  cleanUp(t, prefix)
  const view = await viewFor(t, prefix)
  const redis = new Redis(REDIS_URL)
  t.teardown(() => { redis.disconnect() })
  const valid = { kind: 'session', sid: 'valid', expiresAt: Date.now() + 60_000 }
  for (const message of ['not json', '{}', 'null', JSON.stringify(valid), '{"type":"entry","seq":-1,"entry":{"kind":"session","sid":"x","expiresAt":99999999999999}}',
    '{"type":"entry","seq":1,"entry":{"kind":"session","sid":42,"expiresAt":1}}', '{"type":"entry","seq":1,"entry":{"kind":"account","sub":"a","expiresAt":99999999999999}}',
    '{"type":"heartbeat","seq":1}', `{"type":"heartbeat","seq":1,"epoch":"${'e'.repeat(65)}"}`]) {
    await redis.publish(`${prefix}revocations`, message)
  }
  await redis.publish(`${prefix}revocations`, JSON.stringify({ type: 'entry', seq: 1, entry: valid }))
  await waitFor(() => view.size.sessions === 1, 1_000)
  t.same(view.size, { sessions: 1, accounts: 0 })
  t.equal(view.isRevoked('valid', 'x', 0), true)
})

t.test('refuses to publish a malformed entry', async t => {
  const prefix = randomPrefix()
  cleanUp(t, prefix)
  const feed = feedFor(t, prefix)
  await t.rejects(feed.publish([{ kind: 'session', sid: '', expiresAt: Date.now() }]), TypeError)
})

t.test('the store is unseeded until seed(); a heartbeat goes out only for the epoch it holds', async t => {
  const prefix = randomPrefix()
  cleanUp(t, prefix)
  const feed = feedFor(t, prefix)
  t.equal(await feed.currentEpoch(), undefined)
  t.equal(await feed.heartbeat('not-the-epoch'), false)
  const epoch = await feed.seed([{ kind: 'session', sid: 'seeded', expiresAt: Date.now() + 60_000 }])
  t.equal(await feed.currentEpoch(), epoch)
  t.equal(await feed.heartbeat(epoch), true)
  t.equal(await feed.heartbeat('not-the-epoch'), false)
  await waitFor(() => feed.isConnected(), 2_000)
  const entries: RevocationEntry[] = []
  const snapshot = await feed.loadAll(page => { entries.push(...page) })
  t.same(entries.map(entry => entry.kind === 'session' && entry.sid), ['seeded'])
  t.equal(snapshot.epoch, epoch)
})

t.test('a connected subscriber alone never makes a view fresh: without heartbeats it goes stale (ASVS 16.5.3)', async t => {
  const prefix = randomPrefix()
  cleanUp(t, prefix)
  const publisher = feedFor(t, prefix)
  await publisher.seed([])
  const view = await viewFor(t, prefix, { producer: false, maxStalenessMs: 1_000 })
  await sleep(1_500)
  t.equal(view.isStale(), true, 'loaded and subscribed, but nobody vouched for it')
  const producer = startProducer(t, feedFor(t, prefix))
  await waitFor(() => !view.isStale(), 3_000)
  producer.stop()
  await waitFor(() => view.isStale(), 3_000)
  t.ok(view.ageMs >= 1_000, 'stale once the heartbeats stopped for maxStalenessMs')
})

t.test('a heartbeat ahead of the broadcasts the view applied makes it reload before it counts as fresh', async t => {
  const prefix = randomPrefix()
  cleanUp(t, prefix)
  const view = await viewFor(t, prefix)
  const redis = new Redis(REDIS_URL)
  t.teardown(() => { redis.disconnect() })
  // Stored and counted in the sequence, but its broadcast never reached the view.
  await redis.zadd(`${prefix}revoked:sessions`, Date.now() + 60_000, 'missed')
  await redis.incr(`${prefix}revoked:seq`)
  await waitFor(() => view.isRevoked('missed', 'x', 0), 3_000)
  await waitFor(() => !view.isStale(), 3_000)
  t.equal(view.appliedSeq, 1)
})

t.test('after the store is seeded again (a new epoch) the view reloads what the seed wrote', async t => {
  const prefix = randomPrefix()
  cleanUp(t, prefix)
  const view = await viewFor(t, prefix)
  // Seeding writes without broadcasting: only a reload can find it.
  await feedFor(t, prefix).seed([{ kind: 'session', sid: 'reseeded', expiresAt: Date.now() + 60_000 }])
  await waitFor(() => view.isRevoked('reseeded', 'x', 0), 3_000)
  t.pass('reloaded on the new epoch')
})

t.test('a signing-key revocation travels like the others: broadcast, loaded at start, seeded (ASVS 13.3.4)', async t => {
  const prefix = randomPrefix()
  cleanUp(t, prefix)
  const live = await viewFor(t, prefix)
  const publisher = feedFor(t, prefix)
  await publisher.publish([{ kind: 'key', kid: 'withdrawn-kid', expiresAt: Date.now() + 60_000 }])
  await waitFor(() => live.isKeyRevoked('withdrawn-kid'), 1_000)
  t.equal(live.isKeyRevoked('other-kid'), false)
  t.equal(live.isRevoked('withdrawn-kid', 'x', 0), false, 'a kid is not a session id')
  const entries: RevocationEntry[] = []
  await publisher.loadAll(page => { entries.push(...page) })
  t.same(entries, [{ kind: 'key', kid: 'withdrawn-kid', expiresAt: entries[0]?.expiresAt }], 'loadAll reads it back as a key entry')

  const seededPrefix = randomPrefix()
  cleanUp(t, seededPrefix)
  await feedFor(t, seededPrefix).seed([{ kind: 'key', kid: 'seeded-kid', expiresAt: Date.now() + 60_000 }])
  const started = await viewFor(t, seededPrefix)
  t.equal(started.isKeyRevoked('seeded-kid'), true, 'a seeded one is loaded at start')
})
