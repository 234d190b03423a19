import t from 'tap'
import { Type } from '@sinclair/typebox'
import { commaList, ConfigError, parseEnv } from '../src/index.js'

const Schema = Type.Object({
  PORT: Type.Integer({ minimum: 1, maximum: 65535, default: 3001 }),
  NAME: Type.Optional(Type.String({ minLength: 1 }))
})

t.test('parseEnv › converts strings and applies defaults', async t => {
  t.same(parseEnv(Schema, { PORT: '8080', UNRELATED: 'x' }), { PORT: 8080 })
  t.same(parseEnv(Schema, { NAME: 'a' }), { PORT: 3001, NAME: 'a' })
})

t.test('parseEnv › names the variable that is wrong', async t => {
  t.throws(() => parseEnv(Schema, { PORT: 'eighty' }), ConfigError)
  try {
    parseEnv(Schema, { PORT: '70000' })
    t.fail('should throw')
  } catch (error) {
    t.match((error as Error).message, /PORT/)
  }
})

t.test('commaList › a comma-separated variable as its trimmed, non-empty items', async t => {
  t.same(commaList(undefined), [])
  t.same(commaList(''), [])
  t.same(commaList(' 10.0.0.0/8, 192.0.2.1 ,,'), ['10.0.0.0/8', '192.0.2.1'])
})
