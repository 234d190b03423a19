import t from 'tap'
import { parseIfMatch, profileEtag } from '../../../src/routes/users/etag.js'

t.test('If-Match › absent, any, and the versions named by strong tags (RFC 9110 §13.1.1)', async t => {
  t.same(parseIfMatch(undefined), { kind: 'absent' })
  t.same(parseIfMatch('*'), { kind: 'any' })
  t.same(parseIfMatch(' * '), { kind: 'any' })
  t.same(parseIfMatch(profileEtag(7)), { kind: 'versions', versions: [7] })
  t.same(parseIfMatch('"1", "2" ,"30"'), { kind: 'versions', versions: [1, 2, 30] })
})

t.test('If-Match › weak, unquoted, malformed or oversized tags never match', async t => {
  for (const header of ['W/"7"', '7', '"7', '"seven"', '"-1"', '"1.5"', '""', '"1234567890"', '', 'W/"1", x']) {
    t.same(parseIfMatch(header), { kind: 'versions', versions: [] }, JSON.stringify(header))
  }
  t.same(parseIfMatch('W/"1", "2"'), { kind: 'versions', versions: [2] }, 'a strong tag beside a weak one still counts')
  t.same(parseIfMatch('*, "1"'), { kind: 'versions', versions: [1] }, '* only counts alone')
})

t.test('ETag › a profile version is a strong quoted tag', async t => {
  t.equal(profileEtag(0), '"0"')
  t.equal(profileEtag(42), '"42"')
})
