/** A view on the embedded default's in-process store: fresh only on a heartbeat, revocations applied at once, expired ones purged. */
import t from 'tap'
import { RevocationView, type RevocationFeed } from '../src/index.js'
import { createInProcessRevocationStore } from '@latchkey/revocation-publisher'

t.test('a view on the in-process feed is stale until a heartbeat vouches for it, then applies revocations immediately', async t => {
  const feed = createInProcessRevocationStore()
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
  const view = new RevocationView(createInProcessRevocationStore(), { now: () => now })
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

t.test('expiries are kept in whole seconds rounded up: an entry is never purged before its expiresAt', async t => {
  let now = 1_800_000_000_000
  const view = new RevocationView(createInProcessRevocationStore(), { now: () => now })
  view.apply({ kind: 'session', sid: 's', expiresAt: now + 1_500 })
  view.apply({ kind: 'account', sub: 'a', minVersion: 2, expiresAt: now + 1_500 })
  view.apply({ kind: 'key', kid: 'k', expiresAt: now + 1_500 })
  now += 1_499
  view.purgeExpired()
  t.same(view.size, { sessions: 1, accounts: 1 }, 'a millisecond before expiresAt, still there')
  t.equal(view.isKeyRevoked('k'), true)
  now += 501
  view.purgeExpired()
  t.same(view.size, { sessions: 0, accounts: 0 }, 'gone once the second it was rounded up to has come')
  t.equal(view.isKeyRevoked('k'), false)
})

t.test('a full load is applied page by page as it arrives; one that fails halfway keeps what it applied and leaves the view unloaded', async t => {
  const store = createInProcessRevocationStore()
  const epoch = await store.seed([])
  let releaseFirstLoad = (): void => {}
  const firstLoadHeld = new Promise<void>(resolve => { releaseFirstLoad = resolve })
  let loads = 0
  const feed: RevocationFeed = {
    subscribe: listener => store.subscribe(listener),
    isConnected: () => true,
    async close () {},
    async loadAll (onPage) {
      loads++
      onPage([{ kind: 'session', sid: 'first-page', expiresAt: Date.now() + 60_000 }])
      if (loads === 1) {
        await firstLoadHeld
        throw new Error('connection lost mid-load')
      }
      onPage([{ kind: 'session', sid: 'second-page', expiresAt: Date.now() + 60_000 }])
      return await store.loadAll(() => {})
    }
  }
  const view = new RevocationView(feed, { maxStalenessMs: 5_000 })
  t.teardown(() => view.close())
  const started = view.start()
  t.equal(view.isRevoked('first-page', 'x', 0), true, 'the first page counts before the load is over')
  releaseFirstLoad()
  await started
  t.equal(view.isRevoked('first-page', 'x', 0), true, 'kept after the load failed')
  await store.heartbeat(epoch)
  t.equal(view.isStale(), true, 'a heartbeat does not vouch for a load that never finished')
  await new Promise(resolve => setTimeout(resolve, 700))
  t.equal(loads, 2, 'the next tick loads again')
  t.equal(view.isRevoked('second-page', 'x', 0), true)
  await store.heartbeat(epoch)
  t.equal(view.isStale(), false, 'fresh once a load completed')
})
