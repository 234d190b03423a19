import t from 'tap'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
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

const WithSecret = Type.Object({
  TOKEN: Type.Optional(Type.String({ secret: true, minLength: 10 })),
  LABEL: Type.Optional(Type.String({ minLength: 10 }))
})

t.test('parseEnv › a secret variable may come from <NAME>_FILE, one rule for every secret (ASVS 13.3.1)', async t => {
  const dir = await mkdtemp(join(tmpdir(), 'latchkey-env-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  await writeFile(join(dir, 'token'), 'from-the-file-0123\n')
  await writeFile(join(dir, 'empty'), '')
  t.same(parseEnv(WithSecret, { TOKEN_FILE: join(dir, 'token') }), { TOKEN: 'from-the-file-0123' }, 'one trailing newline dropped')
  t.same(parseEnv(WithSecret, { LABEL_FILE: join(dir, 'token') }), {}, 'only variables declared secret read a file')
  t.throws(() => parseEnv(WithSecret, { TOKEN: 'x'.repeat(12), TOKEN_FILE: join(dir, 'token') }), /TOKEN, TOKEN_FILE: set one of them, not both/)
  t.throws(() => parseEnv(WithSecret, { TOKEN_FILE: join(dir, 'missing') }), /TOKEN_FILE: cannot read .*missing \(ENOENT\)/)
  t.throws(() => parseEnv(WithSecret, { TOKEN_FILE: join(dir, 'empty') }), /TOKEN_FILE: .* is empty/)
})

t.test('parseEnv › a bad secret value is named but never shown; other values are (ASVS 16.5.1)', async t => {
  const dir = await mkdtemp(join(tmpdir(), 'latchkey-env-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  await writeFile(join(dir, 'token'), 'hunter2')
  for (const env of [{ TOKEN: 'hunter2' }, { TOKEN_FILE: join(dir, 'token') }]) {
    const message = (() => { try { parseEnv(WithSecret, env) } catch (error) { return (error as Error).message } })()
    t.match(message, /TOKEN: .*\(the value is not shown\)/)
    t.notOk(message?.includes('hunter2'))
  }
  t.throws(() => parseEnv(WithSecret, { LABEL: 'short' }), /LABEL: .*got "short"/)
})
