import t from 'tap'
import { randomBytes } from 'node:crypto'
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ConfigError } from '@latchkey/contracts'
import { createSecretBox, loadSecretsKey } from '../../../../src/plugins/app/secrets/secret-box.js'

t.test('secret box (ASVS 11.3.2, 13.3.1)', async t => {
  const dir = await mkdtemp(join(tmpdir(), 'latchkey-secrets-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))

  t.test('an envelope opens only under its key and its context, and carries the key id', async t => {
    const box = createSecretBox(randomBytes(32))
    const secret = randomBytes(20)
    const sealed = box.seal(secret, 'totp-secret:a')
    t.match(sealed, new RegExp(`^v1\\.${box.keyId}\\.`))
    t.notOk(sealed.includes(secret.toString('base64url')), 'no plaintext in the envelope')
    t.same(box.open(sealed, 'totp-secret:a'), secret)
    t.throws(() => box.open(sealed, 'totp-secret:b'), 'another context (a row copied to another account) does not open')
    t.throws(() => createSecretBox(randomBytes(32)).open(sealed, 'totp-secret:a'), /another key/, 'another key is named as such')
    const [version, id, body] = sealed.split('.')
    const flipped = Buffer.from(body ?? '', 'base64url')
    flipped[14] = (flipped[14] ?? 0) ^ 1
    t.throws(() => box.open(`${version}.${id}.${flipped.toString('base64url')}`, 'totp-secret:a'), 'an altered envelope does not open')
  })

  t.test('SECRETS_KEY must be 32 bytes of base64; the error names the variable and never shows the value', async t => {
    const value = 'this-is-not-a-key-but-a-secret-nobody-may-see'
    const error = await loadSecretsKey({ SECRETS_KEY: value, DATA_DIR: dir, DATABASE_URL: 'postgres://x' }).catch((cause: unknown) => cause)
    t.ok(error instanceof ConfigError)
    t.match((error as Error).message, /SECRETS_KEY/)
    t.notOk((error as Error).message.includes(value))
    const key = randomBytes(32)
    t.same(await loadSecretsKey({ SECRETS_KEY: key.toString('base64'), DATA_DIR: dir, DATABASE_URL: 'postgres://x' }), key)
  })

  t.test('the embedded default generates a key once in DATA_DIR, mode 0600; with DATABASE_URL and no key the start is refused', async t => {
    const dataDir = join(dir, 'data')
    const first = await loadSecretsKey({ DATA_DIR: dataDir })
    t.equal(first.length, 32)
    t.equal((await stat(join(dataDir, 'secrets.key'))).mode & 0o777, 0o600)
    t.same(await loadSecretsKey({ DATA_DIR: dataDir }), first, 'the same key on the next start')
    t.equal((await readFile(join(dataDir, 'secrets.key'), 'utf8')).trim(), first.toString('base64'))
    const refused = await loadSecretsKey({ DATA_DIR: dataDir, DATABASE_URL: 'postgres://x' }).catch((cause: unknown) => cause)
    t.ok(refused instanceof ConfigError)
    t.match((refused as Error).message, /SECRETS_KEY or SECRETS_KEY_FILE: required/)
  })
})
