import t from 'tap'
import { Type } from '@sinclair/typebox'
import { UuidSchema } from '@latchkey/contracts'
import { pageCursor } from '../src/index.js'

const id = '9b2f0c6e-54a4-4bd0-9d38-6f1c1a3e2b11'
const cursor = pageCursor(Type.Tuple([Type.String({ maxLength: 400 }), UuidSchema]))
const raw = (text: string): string => Buffer.from(text).toString('base64url')
const json = (value: unknown): string => raw(JSON.stringify(value))
const refusal = { statusCode: 400, code: 'validation_failed', errors: [{ path: '/cursor', message: 'is not a cursor this service issued' }] }

t.test('page cursor › a position survives the round trip as an opaque base64url string', async t => {
  for (const sortKey of ['ada', '', 'Zoë "quoted" \\ name', '名前', '\u{1F600}', 'a'.repeat(400)]) {
    const encoded = cursor.encode([sortKey, id])
    t.match(encoded, /^[A-Za-z0-9_-]*$/)
    t.same(cursor.decode(encoded), [sortKey, id], sortKey)
  }
  t.same(cursor.decode(cursor.encode(['a', id.toUpperCase()])), ['a', id.toUpperCase()], 'a UUID in either case (RFC 9562)')
})

t.test('page cursor › a tampered cursor is a 400 naming /cursor', async t => {
  const issued = cursor.encode(['ada', id])
  const tampered: Record<string, string> = {
    'a character outside base64url': `${issued.slice(0, 4)}!${issued.slice(5)}`,
    'padding appended': `${issued}==`,
    'a character appended': `${issued}A`,
    'the last character truncated': issued.slice(0, -1),
    'standard base64 instead of base64url': Buffer.from(JSON.stringify(['ada?>', id])).toString('base64'),
    'whitespace inside': `${issued.slice(0, 8)} ${issued.slice(8)}`,
    'the id changed to something else': json(['ada', `${id}' OR '1'='1`])
  }
  for (const [name, value] of Object.entries(tampered)) t.throws(() => cursor.decode(value), refusal, name)
  // Flipping any one character of an issued cursor either fails to decode, or yields another
  // position of the same shape, which the cursor's query treats like any honest one.
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
  const wrong: string[] = []
  for (let i = 0; i < issued.length; i++) {
    for (const c of alphabet) {
      const flipped = `${issued.slice(0, i)}${c}${issued.slice(i + 1)}`
      let decoded: [string, string] | undefined
      try {
        decoded = cursor.decode(flipped)
      } catch (error) {
        if (!(error instanceof Error && 'statusCode' in error && error.statusCode === 400)) wrong.push(flipped)
        continue
      }
      if (cursor.encode(decoded) !== flipped || decoded[1].length !== 36) wrong.push(flipped)
    }
  }
  t.same(wrong, [], 'every one-character flip is refused or is the canonical cursor of another valid position')
})

t.test('page cursor › a malformed cursor is a 400 naming /cursor', async t => {
  const malformed: Record<string, string> = {
    empty: '',
    'not base64url': '!!',
    'base64url of text that is not JSON': raw('nope'),
    'base64url of bytes that are not UTF-8': Buffer.from([0x5b, 0x22, 0xff, 0xfe, 0x22, 0x5d]).toString('base64url'),
    'truncated JSON': raw(JSON.stringify(['ada', id]).slice(0, -2))
  }
  for (const [name, value] of Object.entries(malformed)) t.throws(() => cursor.decode(value), refusal, name)
})

t.test('page cursor › valid JSON of the wrong shape is a 400 naming /cursor', async t => {
  const wrongShape: Record<string, string> = {
    'an object': json({ sortKey: 'a', id }),
    'a string': json('a'),
    null: json(null),
    'an empty array': json([]),
    'one element': json(['a']),
    'three elements': json(['a', id, 'x']),
    'a number as the sort key': json([1, id]),
    'an id that is not a UUID': json(['a', 'not-a-uuid']),
    'a UUID in braces': json(['a', `{${id}}`]),
    'a urn:uuid: prefix': json(['a', `urn:uuid:${id}`]),
    'a sort key over its maxLength': json(['a'.repeat(401), id]),
    'a NUL in the sort key': json(['a\u0000b', id]),
    'a lone surrogate in the sort key': raw(`["\\ud800", "${id}"]`)
  }
  for (const [name, value] of Object.entries(wrongShape)) t.throws(() => cursor.decode(value), refusal, name)
})
