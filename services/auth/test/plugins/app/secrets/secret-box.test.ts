import t from 'tap'
import { randomBytes } from 'node:crypto'
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ConfigError } from '@latchkey/contracts'
import { createSecretBox, envelopeKeyId, loadPreviousSecretsKeys, loadSecretBox, loadSecretsKey } from '../../../../src/plugins/app/secrets/secret-box.js'

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
    t.throws(() => createSecretBox(randomBytes(32)).open(sealed, 'totp-secret:a'), /unknown key/, 'an unknown key is named as such')
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

t.test('re-keying: the box seals under SECRETS_KEY and opens under it or a SECRETS_KEY_PREVIOUS key, chosen by the envelope\'s key id (ASVS 13.3.4)', async t => {
  const [oldKey, olderKey, newKey] = [randomBytes(32), randomBytes(32), randomBytes(32)]
  const secret = randomBytes(20)
  const sealedOld = createSecretBox(oldKey).seal(secret, 'totp-secret:a')
  const box = createSecretBox(newKey, [olderKey, oldKey])
  t.same(box.keyIds, [box.keyId, createSecretBox(olderKey).keyId, createSecretBox(oldKey).keyId])
  t.same(box.open(sealedOld, 'totp-secret:a'), secret, 'an envelope of a previous key opens')
  t.throws(() => box.open(sealedOld, 'totp-secret:b'), 'still bound to its context')
  const resealed = box.seal(secret, 'totp-secret:a')
  t.equal(envelopeKeyId(resealed), box.keyId, 'sealed under SECRETS_KEY, never a previous key')
  t.equal(envelopeKeyId('not an envelope'), undefined)
  t.throws(() => createSecretBox(oldKey).open(resealed, 'totp-secret:a'), /unknown key/, 'the old key alone opens nothing re-sealed')
  const stranger = createSecretBox(randomBytes(32)).seal(secret, 'totp-secret:a')
  const error = (() => { try { box.open(stranger, 'totp-secret:a') } catch (cause) { return cause as Error } })()
  t.match(error?.message, /unknown key \(id .*SECRETS_KEY_PREVIOUS/, 'an unknown key id fails clearly, naming ids only')
  for (const key of [oldKey, olderKey, newKey]) t.notOk(error?.message.includes(key.toString('base64')), 'no key in the message')
  t.notOk(error?.message.includes(secret.toString('base64')))
})

t.test('SECRETS_KEY_PREVIOUS: one key or a comma-separated list; a bad item is named, never shown', async t => {
  const [one, two] = [randomBytes(32), randomBytes(32)]
  t.same(loadPreviousSecretsKeys({ DATA_DIR: '.', SECRETS_KEY_PREVIOUS: one.toString('base64') }), [one])
  t.same(loadPreviousSecretsKeys({ DATA_DIR: '.', SECRETS_KEY_PREVIOUS: ` ${one.toString('base64')} ,${two.toString('base64url')}` }), [one, two])
  t.same(loadPreviousSecretsKeys({ DATA_DIR: '.' }), [])
  const error = (() => { try { loadPreviousSecretsKeys({ DATA_DIR: '.', SECRETS_KEY_PREVIOUS: `${one.toString('base64')},not-a-key-but-a-secret` }) } catch (cause) { return cause as Error } })()
  t.ok(error instanceof ConfigError)
  t.match(error?.message, /SECRETS_KEY_PREVIOUS \(item 2\)/)
  t.notOk(error?.message.includes('not-a-key-but-a-secret'))
  const box = await loadSecretBox({ DATA_DIR: '.', SECRETS_KEY: two.toString('base64'), SECRETS_KEY_PREVIOUS: one.toString('base64') })
  t.same(box.keyIds, [createSecretBox(two).keyId, createSecretBox(one).keyId])
})
