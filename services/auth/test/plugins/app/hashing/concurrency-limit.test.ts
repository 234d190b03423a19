import t from 'tap'
import { createConcurrencyLimit } from '../../../../src/plugins/app/hashing/concurrency-limit.js'

/** A task that runs until the test releases it, recording when it started. */
function gate (log: string[], name: string): { task: () => Promise<string>, release: () => void } {
  let release = (): void => {}
  const done = new Promise<void>(resolve => { release = resolve })
  return { task: async () => { log.push(`start ${name}`); await done; log.push(`end ${name}`); return name }, release: () => { release() } }
}

const settle = async (): Promise<void> => { for (let i = 0; i < 5; i++) await Promise.resolve() }

t.test('concurrency limit › runs at most N tasks at once and queues the rest in order', async t => {
  const limit = createConcurrencyLimit(2)
  const log: string[] = []
  const gates = ['a', 'b', 'c', 'd'].map(name => gate(log, name))
  const results = gates.map(({ task }) => limit(task))
  await settle()
  t.same(log, ['start a', 'start b'], 'two run, two wait')
  t.equal(limit.pending, 2)
  gates[1]?.release()
  await settle()
  t.same(log, ['start a', 'start b', 'end b', 'start c'], 'the first queued task takes the freed slot')
  t.equal(limit.pending, 1)
  gates[0]?.release()
  gates[2]?.release()
  gates[3]?.release()
  t.same(await Promise.all(results), ['a', 'b', 'c', 'd'], 'each caller gets its own task\'s result')
  t.equal(limit.pending, 0)
})

t.test('concurrency limit › a failing task frees its slot and its caller gets the error', async t => {
  const limit = createConcurrencyLimit(1)
  const failing = limit(async () => { throw new Error('hash failed') })
  const next = limit(async () => 'ran')
  await t.rejects(failing, /hash failed/)
  t.equal(await next, 'ran')
  t.equal(limit.pending, 0)
  let running = 0
  let most = 0
  await Promise.all(Array.from({ length: 20 }, async (_, i) => await limit(async () => {
    running++
    most = Math.max(most, running)
    await settle()
    running--
    if (i % 3 === 0) throw new Error('some fail')
  }).catch(() => {})))
  t.equal(most, 1, 'never more than one at once, failures included')
})
