/** The embedded default's feed: same contract as Redis, delivered synchronously inside one process. */
import t from 'tap'
import { createInProcessRevocationFeed, RevocationView } from '../src/index.js'

t.test('broadcasts published entries synchronously to every subscriber, until unsubscribed', async t => {
  const feed = createInProcessRevocationFeed()
  const seen: string[] = []
  const unsubscribe = feed.subscribe(entry => { seen.push(entry.kind) }, () => {})
  const published = feed.publish([{ kind: 'session', sid: 's', expiresAt: Date.now() + 60_000 }])
  t.same(seen, ['session'], 'delivered before publish resolved')
  await published
  unsubscribe()
  await feed.publish([{ kind: 'account', sub: 'a', minVersion: 1, expiresAt: Date.now() + 60_000 }])
  t.same(seen, ['session'])
  t.equal(feed.isConnected(), true)
})

t.test('loadAll returns live entries only and keeps the latest expiry per member', async t => {
  const feed = createInProcessRevocationFeed()
  await feed.publish([
    { kind: 'session', sid: 'live', expiresAt: Date.now() + 60_000 },
    { kind: 'session', sid: 'live', expiresAt: Date.now() + 1_000 },
    { kind: 'session', sid: 'gone', expiresAt: Date.now() - 1 },
    { kind: 'account', sub: 'a', minVersion: 10, expiresAt: Date.now() + 60_000 }
  ])
  const entries = await feed.loadAll()
  t.equal(entries.length, 2)
  t.ok(entries.some(entry => entry.kind === 'session' && entry.sid === 'live' && entry.expiresAt > Date.now() + 50_000))
  t.ok(entries.some(entry => entry.kind === 'account' && entry.sub === 'a' && entry.minVersion === 10))
})

t.test('a view on the in-process feed is fresh at once and applies revocations immediately', async t => {
  const feed = createInProcessRevocationFeed()
  t.equal(await feed.isSeeded(), false)
  await feed.markSeeded()
  t.equal(await feed.isSeeded(), true)
  await feed.publish([{ kind: 'session', sid: 'before', expiresAt: Date.now() + 60_000 }])
  const view = new RevocationView(feed, { maxStalenessMs: 1_000 })
  t.equal(view.isStale(), true, 'stale until started')
  await view.start()
  t.teardown(() => view.close())
  t.equal(view.isStale(), false)
  t.equal(view.isRevoked('before', 'x', 0), true, 'loaded at start')
  await feed.publish([{ kind: 'account', sub: 'acc', minVersion: 100, expiresAt: Date.now() + 60_000 }])
  t.equal(view.isRevoked('s', 'acc', 99), true, 'applied synchronously')
  t.same(view.size, { sessions: 1, accounts: 1 })
  await feed.close()
})

t.test('the view purges expired entries and counts them no more', async t => {
  let now = Date.now()
  const view = new RevocationView(createInProcessRevocationFeed(), { now: () => now })
  view.apply({ kind: 'session', sid: 'short', expiresAt: now + 1_000 })
  view.apply({ kind: 'session', sid: 'long', expiresAt: now + 60_000 })
  view.apply({ kind: 'account', sub: 'a', minVersion: 5, expiresAt: now + 1_000 })
  view.apply({ kind: 'session', sid: 'already-expired', expiresAt: now - 1 })
  t.same(view.size, { sessions: 2, accounts: 1 })
  now += 2_000
  view.purgeExpired()
  t.same(view.size, { sessions: 1, accounts: 0 })
  t.equal(view.isRevoked('long', 'a', 0), true)
  t.equal(view.isRevoked('short', 'a', 0), false)
})
