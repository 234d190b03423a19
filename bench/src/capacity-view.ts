/**
 * Forked by capacity.ts with --expose-gc: the guard's RevocationView alone in a fresh process,
 * filled with ENTRIES session revocations, heap and RSS after a forced GC before and after.
 * Two ways in: apply() one entry at a time (what broadcasts do; the view's steady cost) and one
 * full load through the feed in pages of 10,000, as the Redis feed hands them over (what a resync
 * does; its transient peak). Prints one JSON line.
 */
import { randomUUID } from 'node:crypto'
import { RevocationView, type RevocationEntry, type RevocationFeed } from '@latchkey/fastify-jwt-guard'

const entries = Number(process.argv[2] ?? 1_000_000)
const gc = globalThis.gc
if (gc === undefined) throw new Error('capacity-view needs --expose-gc')

function settle (): { heap: number, rss: number } {
  gc?.(); gc?.()
  const usage = process.memoryUsage()
  return { heap: usage.heapUsed, rss: usage.rss }
}

// Spread over the next hour, like revocations made over one access-token lifetime. The sid is
// flattened: randomUUID() returns a rope of some twenty concatenated pieces, several times the
// size of the flat string a sid read off the wire (JSON.parse, a Redis reply) is.
const now = Date.now()
const flatUuid = (): string => Buffer.from(randomUUID(), 'latin1').toString('latin1')
const entry = (): RevocationEntry => ({ kind: 'session', sid: flatUuid(), expiresAt: now + 600_000 + Math.floor(Math.random() * 3_000_000) })

const PAGE = 10_000
let toLoad = 0
let peakRss = 0
// A feed that never broadcasts and makes up `toLoad` fresh entries on a full load, a page per turn
// of the event loop like Redis replies.
const feed: RevocationFeed = {
  subscribe: () => () => {},
  isConnected: () => true,
  async loadAll (onPage) {
    for (let done = 0; done < toLoad; done += PAGE) {
      onPage(Array.from({ length: Math.min(PAGE, toLoad - done) }, entry))
      peakRss = Math.max(peakRss, process.memoryUsage.rss())
      await new Promise(resolve => setImmediate(resolve))
    }
    return { epoch: 'capacity', seq: 0 }
  },
  async close () {}
}

const before = settle()
// In a function, so that this view is garbage before the second one is measured.
async function fillOneByOne (): Promise<{ heap: number, rss: number }> {
  const view = new RevocationView(feed)
  await view.start()
  for (let i = 0; i < entries; i++) view.apply(entry())
  const filled = settle()
  if (view.size.sessions !== entries) throw new Error(`the view holds ${view.size.sessions} entries, not ${entries}`)
  await view.close()
  return filled
}
const applied = await fillOneByOne()
const empty = settle()

toLoad = entries
const loaded = new RevocationView(feed)
await loaded.start()
const afterLoad = settle()
if (loaded.size.sessions !== entries) throw new Error(`the loaded view holds ${loaded.size.sessions} entries, not ${entries}`)
await loaded.close()

process.stdout.write(`${JSON.stringify({
  entries,
  applyHeapBytes: applied.heap - before.heap,
  applyRssBytes: applied.rss - before.rss,
  /** RSS an allocator keeps after the first view was dropped: what later growth reuses. */
  retainedRssBytes: empty.rss - before.rss,
  loadHeapBytes: afterLoad.heap - empty.heap,
  loadPeakRssBytes: peakRss - before.rss,
  loadRssBytes: afterLoad.rss - before.rss
})}\n`)
