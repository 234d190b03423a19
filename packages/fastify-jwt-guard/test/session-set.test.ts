/**
 * The compact set of revoked sessions against a plain Map (the model it replaces): random
 * sequences of add, has and purge on tables small enough to crowd (long runs, wrap-around at the
 * end of the table, deletions that shift runs back, growth and shrinking), and the sids that are
 * not canonical UUIDs, which must be found exactly as a Map would find them.
 */
import { randomUUID } from 'node:crypto'
import t from 'tap'
import fc from 'fast-check'
import { parseSid, SessionSet } from '../src/session-set.js'

/** Canonical UUIDs whose home slot in a table of `capacity` slots is `slot`. */
function uuidsAt (slot: number, capacity: number, count: number): string[] {
  const found: string[] = []
  while (found.length < count) {
    const sid = randomUUID()
    if (((parseSid(sid).words?.[4] ?? -1) & (capacity - 1)) === slot) found.push(sid)
  }
  return found
}

t.test('parseSid parses only lower-case, non-nil, canonical UUIDs', async t => {
  const words = parseSid('0123abcd-ef01-4567-89ab-cdef01234567').words
  t.same(words === undefined ? undefined : [...words.subarray(0, 4)], [0x0123abcd, 0xef014567 | 0, 0x89abcdef | 0, 0x01234567])
  t.equal(parseSid('ffffffff-ffff-ffff-ffff-ffffffffffff').words?.[0], -1, 'all ones: negative int32 words')
  for (const sid of [
    '0123ABCD-ef01-4567-89ab-cdef01234567',
    '00000000-0000-0000-0000-000000000000',
    '0123abcd-ef01-4567-89ab-cdef0123456',
    '0123abcd-ef01-4567-89ab-cdef012345678',
    '0123abcd_ef01-4567-89ab-cdef01234567',
    '0123abcdef01-4567-89ab-cdef-01234567',
    '0123abcd-ef01-4567-89ab-cdef0123456g',
    'g123abcd-ef01-4567-89ab-cdef01234567',
    '0123abcd-ef01-4567-89ab-cdef0123456/',
    '0123abcd-ef01-4567-89ab-cdef0123456:',
    '0123abcd-ef01-4567-89ab-cdef0123456`',
    'not a uuid',
    ''
  ]) t.equal(parseSid(sid).words, undefined, sid)
})

t.test('a revoked sid is found whether it was parsed once or is given again', async t => {
  const set = new SessionSet()
  const sid = randomUUID()
  set.add(sid, 100)
  t.equal(set.has(parseSid(sid)), true)
  t.equal(set.has(parseSid(sid.toUpperCase())), false, 'another string: a Map would not find it either')
  set.add(sid.toUpperCase(), 100)
  set.add('legacy-sid', 100)
  t.equal(set.has(parseSid(sid.toUpperCase())), true, 'a non-canonical sid goes to the fallback and is found there')
  t.equal(set.has(parseSid('legacy-sid')), true)
  t.equal(set.size, 3)
  t.throws(() => new SessionSet(6), RangeError)
})

t.test('the later expiry wins, and an expired entry counts until purged', async t => {
  const set = new SessionSet()
  const sid = randomUUID()
  set.add(sid, 10)
  set.add(sid, 5)
  set.purge(9)
  t.equal(set.has(parseSid(sid)), true, 'kept until 10, not 5')
  set.add(sid, 20)
  set.purge(10)
  t.equal(set.has(parseSid(sid)), true, 'extended to 20')
  set.purge(20)
  t.equal(set.has(parseSid(sid)), false)
  t.equal(set.size, 0)
})

t.test('a deletion at the end of the table shifts the run that wrapped to its start back', async t => {
  const set = new SessionSet(8)
  // Three entries homed in the last slot: they occupy slots 7, 0 and 1.
  const [first, second, third] = uuidsAt(7, 8, 3) as [string, string, string]
  const atZero = uuidsAt(0, 8, 1)[0] as string
  set.add(first, 1)
  set.add(second, 5)
  set.add(third, 5)
  set.add(atZero, 5)
  t.equal(set.capacity, 8)
  set.purge(1)
  t.equal(set.has(parseSid(first)), false)
  for (const sid of [second, third, atZero]) t.equal(set.has(parseSid(sid)), true)
  t.equal(set.size, 3)
})

t.test('the table grows past 70 % full and shrinks when a purge leaves it nearly empty', async t => {
  const set = new SessionSet(8)
  const sids = Array.from({ length: 1000 }, () => randomUUID())
  sids.forEach((sid, i) => { set.add(sid, i < 990 ? 1 : 2) })
  t.equal(set.capacity, 2048)
  t.ok(sids.every(sid => set.has(parseSid(sid))))
  set.purge(1)
  t.equal(set.size, 10)
  t.equal(set.capacity, 32, 'at most 35 % full after shrinking')
  t.ok(sids.every((sid, i) => set.has(parseSid(sid)) === (i >= 990)))
  set.purge(2)
  t.equal(set.capacity, 8)
})

t.test('model: the set answers like a Map under random add, has and purge', async t => {
  const seed = Number(process.env.SESSION_SET_SEED ?? Date.now() % 2 ** 31)
  t.comment(`fast-check seed ${seed} (SESSION_SET_SEED=${seed} replays this run)`)
  // Canonical UUIDs crowded onto few home slots, a few that are not canonical, and random ones.
  const pool = [
    ...uuidsAt(3, 16, 6), ...uuidsAt(15, 16, 6), ...uuidsAt(0, 16, 4),
    ...Array.from({ length: 40 }, () => randomUUID()),
    '00000000-0000-0000-0000-000000000000', 'ABCDEF01-2345-6789-abcd-ef0123456789', 'not-a-uuid', ''
  ]
  const sid = fc.constantFrom(...pool)
  const command = fc.oneof(
    { weight: 6, arbitrary: fc.record({ op: fc.constant('add' as const), sid, expiresAtS: fc.integer({ min: 1, max: 30 }) }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constant('has' as const), sid }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('purge' as const), nowS: fc.integer({ min: 0, max: 30 }) }) }
  )
  let checks = 0
  fc.assert(fc.property(fc.constantFrom(2, 4, 8), fc.array(command, { minLength: 100, maxLength: 300 }), (minCapacity, commands) => {
    const set = new SessionSet(minCapacity)
    const model = new Map<string, number>()
    for (const c of commands) {
      if (c.op === 'add') {
        set.add(c.sid, c.expiresAtS)
        const known = model.get(c.sid)
        if (known === undefined || known < c.expiresAtS) model.set(c.sid, c.expiresAtS)
      } else if (c.op === 'purge') {
        set.purge(c.nowS)
        for (const [key, expiresAtS] of model) if (expiresAtS <= c.nowS) model.delete(key)
      } else if (set.has(parseSid(c.sid)) !== model.has(c.sid)) {
        throw new Error(`has(${c.sid}) differs`)
      }
      if (set.size !== model.size) throw new Error(`size ${set.size}, model ${model.size}`)
      // Every entry, not only the one touched: a bad shift loses some other entry of the run.
      for (const key of pool) if (set.has(parseSid(key)) !== model.has(key)) throw new Error(`has(${key}) differs after ${c.op}`)
      checks++
    }
  }), { numRuns: 300, seed })
  t.ok(checks > 10_000, `${checks} states compared`)
})

t.test('model: expiries survive shifts and growth (purging at each time in turn empties the set in order)', async t => {
  const set = new SessionSet(4)
  const model = new Map<string, number>()
  for (let i = 0; i < 3000; i++) {
    const sid = randomUUID()
    const expiresAtS = 1 + (i * 7919) % 100
    set.add(sid, expiresAtS)
    model.set(sid, expiresAtS)
  }
  for (let nowS = 0; nowS <= 102; nowS += 3) {
    set.purge(nowS)
    for (const [sid, expiresAtS] of model) if (expiresAtS <= nowS) model.delete(sid)
    t.equal(set.size, model.size)
    let same = true
    for (const [sid] of model) same &&= set.has(parseSid(sid))
    if (!same) t.fail(`an entry was lost at ${nowS}`)
  }
  t.equal(set.size, 0)
  t.equal(set.capacity, 4)
})
