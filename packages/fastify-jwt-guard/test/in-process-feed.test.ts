/** The embedded default's feed: same contract as Redis, delivered synchronously inside one process. */
import t from 'tap'
import { createInProcessRevocationFeed, RevocationView, type RevocationEntry, type RevocationHeartbeat, type RevocationListener } from '../src/index.js'

function recorder (): { entries: Array<[RevocationEntry, number]>, heartbeats: RevocationHeartbeat[], listener: RevocationListener } {
  const entries: Array<[RevocationEntry, number]> = []
  const heartbeats: RevocationHeartbeat[] = []
  const listener: RevocationListener = {
    onEntry (entry, seq) { entries.push([entry, seq]) },
    onHeartbeat (heartbeat) { heartbeats.push(heartbeat) },
    onResync () {}
  }
  return { entries, heartbeats, listener }
}

t.test('broadcasts published entries synchronously with increasing seq, until unsubscribed', async t => {
  const feed = createInProcessRevocationFeed()
  const seen = recorder()
  const unsubscribe = feed.subscribe(seen.listener)
  const published = feed.publish([{ kind: 'session', sid: 's', expiresAt: Date.now() + 60_000 }, { kind: 'session', sid: 't', expiresAt: Date.now() + 60_000 }])
  t.same(seen.entries.map(([entry, seq]) => [entry.kind, seq]), [['session', 1], ['session', 2]], 'delivered before publish resolved')
  await published
  unsubscribe()
  await feed.publish([{ kind: 'account', sub: 'a', minVersion: 1, expiresAt: Date.now() + 60_000 }])
  t.equal(seen.entries.length, 2)
  t.equal(feed.isConnected(), true)
})

t.test('a heartbeat goes out only for the epoch the store was seeded with, carrying the current seq', async t => {
  const feed = createInProcessRevocationFeed()
  const seen = recorder()
  feed.subscribe(seen.listener)
  t.equal(await feed.currentEpoch(), undefined, 'not seeded at first')
  t.equal(await feed.heartbeat('made-up'), false)
  const epoch = await feed.seed([{ kind: 'session', sid: 'seeded', expiresAt: Date.now() + 60_000 }])
  t.equal(await feed.currentEpoch(), epoch)
  t.equal(seen.entries.length, 0, 'seeding broadcasts nothing')
  await feed.publish([{ kind: 'session', sid: 'later', expiresAt: Date.now() + 60_000 }])
  t.equal(await feed.heartbeat(epoch), true)
  t.same(seen.heartbeats, [{ epoch, seq: 1 }])
  const next = await feed.seed([])
  t.not(next, epoch, 'seeding again starts a new epoch')
  t.equal(await feed.heartbeat(epoch), false, 'the old epoch is refused')
})

t.test('loadAll returns live entries only, the latest expiry per member, the epoch and the seq', async t => {
  const feed = createInProcessRevocationFeed()
  await feed.publish([
    { kind: 'session', sid: 'live', expiresAt: Date.now() + 60_000 },
    { kind: 'session', sid: 'live', expiresAt: Date.now() + 1_000 },
    { kind: 'session', sid: 'gone', expiresAt: Date.now() - 1 },
    { kind: 'account', sub: 'a', minVersion: 10, expiresAt: Date.now() + 60_000 }
  ])
  const epoch = await feed.seed([])
  const snapshot = await feed.loadAll()
  t.equal(snapshot.entries.length, 2)
  t.ok(snapshot.entries.some(entry => entry.kind === 'session' && entry.sid === 'live' && entry.expiresAt > Date.now() + 50_000))
  t.ok(snapshot.entries.some(entry => entry.kind === 'account' && entry.sub === 'a' && entry.minVersion === 10))
  t.equal(snapshot.epoch, epoch)
  t.equal(snapshot.seq, 4)
})

t.test('a view on the in-process feed is stale until a heartbeat vouches for it, then applies revocations immediately', async t => {
  const feed = createInProcessRevocationFeed()
  await feed.publish([{ kind: 'session', sid: 'before', expiresAt: Date.now() + 60_000 }])
  const view = new RevocationView(feed, { maxStalenessMs: 1_000 })
  t.equal(view.isStale(), true, 'stale until started')
  await view.start()
  t.teardown(() => view.close())
  t.equal(view.isRevoked('before', 'x', 0), true, 'loaded at start')
  t.equal(view.isStale(), true, 'loaded, but no producer has vouched for it yet')
  const epoch = await feed.seed([])
  await feed.heartbeat(epoch)
  t.equal(view.isStale(), true, 'a heartbeat of an epoch the view did not load asks for a reload first')
  t.ok(!(await view.whenFresh(0)))
  await new Promise(resolve => setTimeout(resolve, 50))
  await feed.heartbeat(epoch)
  t.equal(view.isStale(), false, 'fresh after the reload and the next heartbeat')
  await feed.publish([{ kind: 'account', sub: 'acc', minVersion: 100, expiresAt: Date.now() + 60_000 }])
  t.equal(view.isRevoked('s', 'acc', 99), true, 'applied synchronously')
  t.same(view.size, { sessions: 1, accounts: 1 })
  t.equal(view.appliedSeq, 2)
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
