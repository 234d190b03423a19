import t from 'tap'
import { Value } from '@sinclair/typebox/value'
import { isUuid, UuidSchema } from '../src/index.js'

const id = '9b2f0c6e-54a4-4bd0-9d38-6f1c1a3e2b11'

t.test('the UUID rule › RFC 9562 textual form, hex digits in either case; the schema checks the same rule', async t => {
  for (const value of [id, id.toUpperCase(), '00000000-0000-0000-0000-000000000000']) {
    t.ok(isUuid(value), value)
    t.ok(Value.Check(UuidSchema, value), `${value} (Value.Check)`)
  }
  const refused: unknown[] = [
    `urn:uuid:${id}`, `{${id}}`, id.replaceAll('-', ''), `${id} `, `${id}\n`, id.slice(1), `${id}0`,
    id.replace('9', 'g'), '', 42, null, undefined
  ]
  for (const value of refused) {
    t.notOk(isUuid(value), JSON.stringify(value))
    t.notOk(Value.Check(UuidSchema, value), `${JSON.stringify(value)} (Value.Check)`)
  }
})
