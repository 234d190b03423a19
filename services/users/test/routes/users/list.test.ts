import t from 'tap'
import { randomUUID } from 'node:crypto'
import { bearer, build } from '../../helper.js'

const world = await build(t)
const { app } = world
const { token } = await world.account()

async function list (query: string) {
  const res = await app.inject({ method: 'GET', url: `/users?${query}`, headers: bearer(token) })
  return { res, body: res.json() }
}

t.test('GET /users › pages through public profiles in name order with an opaque cursor', async t => {
  const tag = `pg${randomUUID().slice(0, 6)}`
  const names = ['Delta', 'alpha', 'Charlie', 'bravo', 'echo'].map(n => `${tag} ${n}`)
  for (const name of names) await world.account(name)
  const seen: string[] = []
  let cursor: string | null = null
  let pages = 0
  do {
    const { res, body }: { res: { statusCode: number }, body: { items: Array<Record<string, unknown>>, nextCursor: string | null } } =
      await list(`q=${tag}&limit=2${cursor === null ? '' : `&cursor=${cursor}`}`)
    t.equal(res.statusCode, 200)
    t.ok(body.items.length <= 2)
    for (const item of body.items) {
      t.same(Object.keys(item).sort(), ['avatarUrl', 'bio', 'id', 'name'])
      seen.push(String(item.name))
    }
    cursor = body.nextCursor
    pages++
  } while (cursor !== null && pages < 10)
  t.equal(pages, 3)
  t.same(seen, ['alpha', 'bravo', 'Charlie', 'Delta', 'echo'].map(n => `${tag} ${n}`))
})

t.test('GET /users › pages past names of 100 four-byte or escaped characters (their cursor is longer than 200 characters)', async t => {
  const tag = `pl${randomUUID().slice(0, 6)}`
  const longest = [`${tag} ${'\u{1D4D0}'.repeat(100 - tag.length - 1)}`, `${tag} ${'"'.repeat(100 - tag.length - 1)}`]
  for (const name of longest) await world.account(name)
  const first = await list(`q=${tag}&limit=1`)
  t.equal(first.res.statusCode, 200)
  const cursor = String(first.body.nextCursor)
  t.ok(cursor.length > 200, `a cursor of ${cursor.length} characters`)
  const second = await list(`q=${tag}&limit=1&cursor=${cursor}`)
  t.equal(second.res.statusCode, 200, JSON.stringify(second.body))
  t.equal(second.body.items.length, 1)
  t.not(second.body.items[0].name, first.body.items[0].name)
})

t.test('GET /users › matches q as a case-insensitive name prefix only', async t => {
  const tag = `Cs${randomUUID().slice(0, 6)}`
  await world.account(`${tag}Ada`)
  await world.account(`${tag.toLowerCase()}ADA lovelace`)
  await world.account(`x ${tag}Ada`)
  const { res, body } = await list(`q=${tag.toUpperCase()}ada`)
  t.equal(res.statusCode, 200)
  t.equal(body.items.length, 2)
  t.equal(body.nextCursor, null)
})

t.test('GET /users › treats % and _ in q as plain characters', async t => {
  const tag = `lk${randomUUID().slice(0, 6)}`
  await world.account(`${tag}100% sure`)
  await world.account(`${tag}100 percent`)
  await world.account(`${tag}a_b`)
  await world.account(`${tag}axb`)
  const percent = await list(`q=${encodeURIComponent(`${tag}100%`)}`)
  t.same(percent.body.items.map((i: { name: string }) => i.name), [`${tag}100% sure`])
  const underscore = await list(`q=${encodeURIComponent(`${tag}a_`)}`)
  t.same(underscore.body.items.map((i: { name: string }) => i.name), [`${tag}a_b`])
  const backslash = await list(`q=${encodeURIComponent(`${tag}\\`)}`)
  t.same(backslash.body.items, [])
})

t.test('GET /users › answers 20 items by default and never an email', async t => {
  const tag = `df${randomUUID().slice(0, 6)}`
  for (let i = 0; i < 21; i++) await world.account(`${tag} ${String(i).padStart(2, '0')}`)
  const { res, body } = await list(`q=${tag}`)
  t.equal(body.items.length, 20)
  t.type(body.nextCursor, 'string')
  t.notMatch(res.body, /email/i)
})

t.test('GET /users › answers 400 for a limit out of 1..100 or not an integer, and for a forged cursor', async t => {
  for (const query of ['limit=0', 'limit=101', 'limit=abc', 'limit=1.5', 'cursor=bm9wZQ', 'cursor=%21%21', 'q=', 'unknown=1']) {
    const { res, body } = await list(query)
    t.equal(res.statusCode, 400, query)
    t.equal(body.code, 'validation_failed', query)
    t.ok(body.errors.length > 0)
  }
})

t.test('GET /users › answers 401 without a token', async t => {
  const res = await app.inject({ method: 'GET', url: '/users' })
  t.equal(res.statusCode, 401)
})

t.test('GET /users › uses the name index for the prefix search', async t => {
  const plan = await world.sql.begin(async tx => {
    await tx`SET LOCAL enable_seqscan = off`
    return await tx.unsafe('EXPLAIN SELECT id FROM profiles WHERE lower(name) COLLATE "C" LIKE \'abc%\' ORDER BY lower(name) COLLATE "C", id LIMIT 21')
  })
  t.match(JSON.stringify(plan), /profiles_name_search/)
})
