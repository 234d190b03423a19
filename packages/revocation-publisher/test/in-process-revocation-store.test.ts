/** The embedded default's store: the same contract as Redis, delivered synchronously inside one process. */
import t from 'tap'
import type { RevocationEntry, RevocationHeartbeat, RevocationListener } from '@latchkey/contracts'
import { createInProcessRevocationStore } from '../src/index.js'

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
  const feed = createInProcessRevocationStore()
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
  const feed = createInProcessRevocationStore()
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
  const feed = createInProcessRevocationStore()
  await feed.publish([
    { kind: 'session', sid: 'live', expiresAt: Date.now() + 60_000 },
    { kind: 'session', sid: 'live', expiresAt: Date.now() + 1_000 },
    { kind: 'session', sid: 'gone', expiresAt: Date.now() - 1 },
    { kind: 'account', sub: 'a', minVersion: 10, expiresAt: Date.now() + 60_000 }
  ])
  const epoch = await feed.seed([])
  const entries: RevocationEntry[] = []
  const snapshot = await feed.loadAll(page => { entries.push(...page) })
  t.equal(entries.length, 2)
  t.ok(entries.some(entry => entry.kind === 'session' && entry.sid === 'live' && entry.expiresAt > Date.now() + 50_000))
  t.ok(entries.some(entry => entry.kind === 'account' && entry.sub === 'a' && entry.minVersion === 10))
  t.equal(snapshot.epoch, epoch)
  t.equal(snapshot.seq, 4)
})
