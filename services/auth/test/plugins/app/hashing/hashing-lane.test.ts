import t from 'tap'
import { execFile } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { promisify } from 'node:util'
import { createPasswordHasher } from '../../../../src/plugins/app/hashing/password-hasher.js'

/** Cheap argon2id parameters: these tests are about where hashes run, not how slow they are. */
const params = { memoryCost: 8192, timeCost: 1, parallelism: 1 }

/** A thread's nice as the kernel reports it (field 19 of /proc/<pid>/task/<tid>/stat). */
function niceOf (tid: number): number {
  const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8')
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16])
}
const liveThreadIds = (): number[] => readdirSync('/proc/self/task').map(Number)

t.test('password hashes run on threads of their own, at a lower CPU priority than the event loop (Linux nice)', async t => {
  const hasher = await createPasswordHasher({ ...params, concurrency: 2, nice: 10 })
  t.teardown(hasher.close)
  const tids = hasher.threads.map(thread => thread.tid)
  const eventLoopNice = niceOf(process.pid)
  t.equal(tids.length, 2, 'one thread per hashing slot')
  for (const tid of tids) {
    t.not(tid, process.pid, 'not the event loop\'s thread')
    t.ok(tid !== null && liveThreadIds().includes(tid), 'a live thread of this process')
    t.equal(niceOf(tid as number), Math.min(19, eventLoopNice + 10), 'the kernel runs it 10 nice levels below the event loop (at most 19)')
  }
  t.equal(niceOf(process.pid), eventLoopNice, 'the event loop keeps its priority')
  const stored = await hasher.hashPassword('correct horse')
  t.ok(await hasher.verifyPassword(stored, 'correct horse'), 'a hash made on the lane verifies on it')
  t.notOk(await hasher.verifyPassword(stored, 'wrong horse'))
  t.notOk(await hasher.verifyPassword('not an argon2 hash', 'correct horse'), 'a malformed stored hash is a failed check, not an error')
  t.notOk(await hasher.verifyPassword(undefined, 'correct horse'), 'no stored hash: the dummy hash is checked, and fails')
})

t.test('in a process started niced, the lane goes PASSWORD_HASH_NICE levels below the event loop, not to that absolute nice', async t => {
  // A child started at nice 5: its event loop runs at 5, so nice 10 lower is 15 (an absolute 10
  // would put the lane only 5 below it).
  const hasher = new URL('../../../../src/plugins/app/hashing/password-hasher.js', import.meta.url).href
  const script = `const { createPasswordHasher } = await import(${JSON.stringify(hasher)})
const { readFileSync } = await import('node:fs')
const niceOf = tid => { const stat = readFileSync('/proc/self/task/' + tid + '/stat', 'utf8'); return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]) }
const h = await createPasswordHasher({ memoryCost: 8192, timeCost: 1, parallelism: 1, concurrency: 1, nice: 10 })
console.log(JSON.stringify({ eventLoop: niceOf(process.pid), lane: h.threads.map(thread => niceOf(thread.tid)) }))
await h.close()`
  const { stdout } = await promisify(execFile)('nice', ['-n', '5', process.execPath, '--input-type=module', '-e', script])
  const reported = JSON.parse(stdout) as { eventLoop: number, lane: number[] }
  const started = niceOf(process.pid) + 5
  t.equal(reported.eventLoop, started, 'the child\'s event loop runs at its start nice')
  t.same(reported.lane, [Math.min(19, started + 10)], 'its hashing thread 10 levels lower')
})

t.test('PASSWORD_HASH_NICE=0 runs the lane at the event loop\'s priority', async t => {
  const hasher = await createPasswordHasher({ ...params, concurrency: 1, nice: 0 })
  t.teardown(hasher.close)
  const tid = hasher.threads[0]?.tid
  t.equal(tid, null, 'no priority was changed')
  const own = liveThreadIds().filter(id => id !== process.pid).map(niceOf)
  t.same([...new Set(own)], [niceOf(process.pid)], 'every thread of the process runs at the event loop\'s nice')
})

t.test('a hashing thread that dies fails the hash it held and is replaced', async t => {
  const hasher = await createPasswordHasher({ ...params, timeCost: 64, concurrency: 1, nice: 10 })
  t.teardown(hasher.close)
  const [first] = hasher.threads
  if (first === undefined) throw new Error('the lane has no thread')
  const held = hasher.hashPassword('a slow hash')
  await first.worker.terminate()
  await t.rejects(held, /a hashing thread exited/, 'the held hash fails rather than hangs')
  const stored = await hasher.hashPassword('after the replacement')
  t.ok(await hasher.verifyPassword(stored, 'after the replacement'), 'the next hash runs on a new thread')
  t.equal(hasher.threads.length, 1)
  t.not(hasher.threads[0]?.tid, first.tid, 'a new thread')
  t.equal(niceOf(hasher.threads[0]?.tid as number), first.nice, 'at the same nice')
})

t.test('a password check whose thread dies fails: no verdict, never a wrong password', async t => {
  const hasher = await createPasswordHasher({ ...params, timeCost: 64, concurrency: 1, nice: 10 })
  t.teardown(hasher.close)
  const stored = await hasher.hashPassword('correct horse')
  const [thread] = hasher.threads
  if (thread === undefined) throw new Error('the lane has no thread')
  const held = hasher.verifyPassword(stored, 'correct horse')
  await thread.worker.terminate()
  await t.rejects(held, { name: 'HashingThreadExited' }, 'rejected, not answered false (a failed log-in)')
})

t.test('parameters argon2 refuses fail the start, and leave no hashing thread behind', async t => {
  // Threads niced below the event loop: only a hashing lane's.
  const eventLoopNice = niceOf(process.pid)
  const lowered = (): number[] => liveThreadIds().filter(tid => { try { return niceOf(tid) !== eventLoopNice } catch { return false } })
  const before = lowered()
  await t.rejects(createPasswordHasher({ ...params, memoryCost: 1, concurrency: 2, nice: 5 }), /Memory cost is too small/)
  t.same(lowered().filter(tid => !before.includes(tid)), [], 'no thread is left')
})

t.test('closing the hasher ends its threads', async t => {
  const hasher = await createPasswordHasher({ ...params, concurrency: 2, nice: 10 })
  const tids = hasher.threads.map(thread => thread.tid as number)
  await hasher.close()
  t.same(tids.filter(tid => liveThreadIds().includes(tid)), [], 'no hashing thread is left')
})
