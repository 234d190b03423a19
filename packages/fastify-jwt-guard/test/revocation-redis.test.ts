/**
 * Revocations over the machine's Redis (random key prefix per test): publish on one feed, seen by
 * views on other feeds; the account token-version rule; loading everything at start; malformed messages.
 */
import t, { type Test } from 'tap'
import { Redis } from 'ioredis'
import {
  createAccessTokenVerifier, createRedisRevocationFeed, createStaticKeySource, RevocationView, type RevocationFeed
} from '../src/index.js'
import { AUDIENCE, ISSUER, REDIS_URL, buildApp, claims, createKey, randomPrefix, signToken, waitFor, type TestKey } from './helper.js'

function feedFor (t: Test, prefix: string): RevocationFeed {
  const feed = createRedisRevocationFeed({ url: REDIS_URL, prefix })
  t.teardown(() => feed.close())
  return feed
}

async function viewFor (t: Test, prefix: string): Promise<RevocationView> {
  const view = new RevocationView(feedFor(t, prefix))
  t.teardown(() => view.close())
  await view.start()
  return view
}

function cleanUp (t: Test, prefix: string): void {
  t.teardown(async () => {
    const redis = new Redis(REDIS_URL)
    await redis.del(`${prefix}revoked:sessions`, `${prefix}revoked:account-versions`, `${prefix}revoked:seeded`)
    redis.disconnect()
  })
}

async function appFor (t: Test, prefix: string, key: TestKey): Promise<ReturnType<typeof buildApp>> {
  const view = await viewFor(t, prefix)
  const verifier = createAccessTokenVerifier({ keys: createStaticKeySource({ keys: [key.jwk] }), issuer: ISSUER, audience: AUDIENCE, revocations: view })
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
  t.equal(restarted.isStale(), false, 'fresh right after start')
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
  for (const message of ['not json', '{}', '{"kind":"session","sid":42,"expiresAt":1}', '{"kind":"account","sub":"a","expiresAt":99999999999999}', 'null']) {
    await redis.publish(`${prefix}revocations`, message)
  }
  await redis.publish(`${prefix}revocations`, JSON.stringify({ kind: 'session', sid: 'valid', expiresAt: Date.now() + 60_000 }))
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

t.test('isSeeded is false until markSeeded, then true', async t => {
  const prefix = randomPrefix()
  cleanUp(t, prefix)
  const feed = feedFor(t, prefix)
  t.equal(await feed.isSeeded(), false)
  await feed.markSeeded()
  t.equal(await feed.isSeeded(), true)
  await waitFor(() => feed.isConnected(), 2_000)
  t.equal(feed.isConnected(), true, 'the feed reports its live subscription')
})
