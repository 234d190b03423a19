import t from 'tap'
import { Value } from '@sinclair/typebox/value'
import { DisplayNameSchema, textLength } from '../src/index.js'

t.test('text length is counted in code points, so TypeBox agrees with JSON Schema (Ajv) and PostgreSQL char_length', async t => {
  const astral = '\u{1F600}'
  t.equal(textLength(astral.repeat(100)), 100)
  t.equal(textLength('e\u0301'), 2, 'a combining mark is its own code point, as char_length counts it')
  t.ok(Value.Check(DisplayNameSchema, astral.repeat(100)), '100 astral characters (200 UTF-16 units) fit a 100-character name')
  t.notOk(Value.Check(DisplayNameSchema, astral.repeat(101)))
  t.notOk(Value.Check(DisplayNameSchema, ''))
  t.notOk(Value.Check(DisplayNameSchema, '   '), 'the pattern still applies')
  t.notOk(Value.Check(DisplayNameSchema, 42))
})
