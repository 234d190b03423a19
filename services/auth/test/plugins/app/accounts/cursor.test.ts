import t from 'tap'
import { decodeCursor, encodeCursor } from '../../../../src/plugins/app/accounts/cursor.js'

t.test('cursor › a sort key survives the round trip as an opaque base64url string', async t => {
  const key = ['2026-11-29T12:00:00.000Z', '9b2f0c6e-54a4-4bd0-9d38-6f1c1a3e2b11']
  const cursor = encodeCursor(key)
  t.match(cursor, /^[A-Za-z0-9_-]+$/)
  t.same(decodeCursor(cursor), key)
  t.same(decodeCursor(encodeCursor([])), [])
})

t.test('cursor › anything that is not a base64url JSON array decodes to undefined', async t => {
  for (const cursor of ['', '!!!', 'bm90IGpzb24', Buffer.from('{"a":1}').toString('base64url'), Buffer.from('"text"').toString('base64url'), Buffer.from('null').toString('base64url')]) {
    t.equal(decodeCursor(cursor), undefined, JSON.stringify(cursor))
  }
})
