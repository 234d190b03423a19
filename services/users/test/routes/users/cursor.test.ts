import t from 'tap'
import { decodeCursor, encodeCursor } from '../../../src/routes/users/cursor.js'

const id = '9b2f0c6e-54a4-4bd0-9d38-6f1c1a3e2b11'
const b64 = (value: unknown): string => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url')

t.test('cursor › a page position survives the round trip, whatever text the sort key holds', async t => {
  for (const sortKey of ['ada', '', 'Zoë "quoted" \\ name', '名前', 'a'.repeat(200)]) {
    const cursor = encodeCursor({ sortKey, id })
    t.match(cursor, /^[A-Za-z0-9_-]*$/)
    t.same(decodeCursor(cursor), { sortKey, id })
  }
})

t.test('cursor › anything this service did not issue is a 400 naming the cursor', async t => {
  const refused: Record<string, string> = {
    'not base64url JSON': 'not-a-cursor',
    'an object': b64({ sortKey: 'a', id }),
    'one element': b64(['a']),
    'three elements': b64(['a', id, 'x']),
    'a number as sort key': b64([1, id]),
    'an id that is not a UUID': b64(['a', 'not-a-uuid']),
    'an id with SQL in it': b64(['a', `${id}' OR '1'='1`]),
    'a lone surrogate in the sort key': b64(`["\\ud800", "${id}"]`),
    'a NUL in the sort key': b64(['a\u0000b', id])
  }
  for (const [name, cursor] of Object.entries(refused)) {
    t.throws(() => decodeCursor(cursor), { statusCode: 400, code: 'validation_failed' }, name)
  }
})
