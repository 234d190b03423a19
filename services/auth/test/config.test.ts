import t from 'tap'
import { generateKeyPairSync, randomBytes } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { availableParallelism, tmpdir } from 'node:os'
import { join } from 'node:path'
import { ConfigError } from '@latchkey/contracts'
import { loadAuthConfig } from '../src/config.js'

const secretsKey = randomBytes(32).toString('base64')
const ed25519Pem = generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }).toString()

/** A good value of every secret variable of the auth service. */
const goodSecrets: Record<string, string> = {
  DATABASE_URL: 'postgres://auth:db-password-1@db/latchkey',
  MIGRATION_DATABASE_URL: 'postgres://auth:db-password-2@db-direct/latchkey',
  REDIS_URL: 'redis://auth:redis-password-1@cache:6379',
  SECRETS_KEY: secretsKey,
  SECRETS_KEY_PREVIOUS: `${randomBytes(32).toString('base64')}, ${randomBytes(32).toString('base64url')}`,
  JWT_PRIVATE_KEY: ed25519Pem,
  BOOTSTRAP_ADMIN_PASSWORD: 'admin-password-1',
  SMTP_URL: 'smtps://mailer:smtp-password-1@mail.example:465'
}

/** A bad value of each, itself secret-looking: it must never appear in an error. */
const badSecrets: Record<string, string> = {
  DATABASE_URL: 'mysql://root:leaked-db-secret@db',
  MIGRATION_DATABASE_URL: 'mysql://root:leaked-migration-secret@db',
  REDIS_URL: 'memcached://leaked-redis-secret@cache',
  SECRETS_KEY: 'leaked-kek-secret-that-is-not-32-bytes',
  SECRETS_KEY_PREVIOUS: `${randomBytes(32).toString('base64')},leaked-previous-kek-secret`,
  // A real private key, generated here, of the wrong type (RSA): refused, and never echoed.
  JWT_PRIVATE_KEY: generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
  BOOTSTRAP_ADMIN_PASSWORD: 'leaked',
  SMTP_URL: 'http://mailer:leaked-smtp-secret@mail'
}

function messageOf (run: () => unknown): string {
  try {
    run()
  } catch (error) {
    if (error instanceof ConfigError) return error.message
    throw error
  }
  return ''
}

t.test('every secret variable also comes from <NAME>_FILE (Docker/Kubernetes secrets; ASVS 13.3.1)', async t => {
  const dir = await mkdtemp(join(tmpdir(), 'latchkey-auth-config-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const env: Record<string, string> = {}
  for (const [name, value] of Object.entries(goodSecrets)) {
    await writeFile(join(dir, name), `${value}\n`)
    env[`${name}_FILE`] = join(dir, name)
  }
  const config = loadAuthConfig(env)
  for (const [name, value] of Object.entries(goodSecrets)) t.equal(config[name as keyof typeof config], value, `${name} read from ${name}_FILE`)
  t.match(messageOf(() => loadAuthConfig({ ...env, SECRETS_KEY: secretsKey })), /SECRETS_KEY, SECRETS_KEY_FILE: set one of them, not both/)
  t.match(messageOf(() => loadAuthConfig({ JWT_PRIVATE_KEY_FILE: join(dir, 'none') })), /JWT_PRIVATE_KEY_FILE: cannot read/)
  const links = { PASSWORD_RESET_URL: 'https://app.example/reset#token={token}', EMAIL_VERIFICATION_URL: 'https://app.example/verify#token={token}' }
  t.equal(loadAuthConfig({ ...env, ...links, NODE_ENV: 'production' }).SMTP_URL, goodSecrets.SMTP_URL, 'SMTP_URL_FILE satisfies production\'s need of a mail server')
})

t.test('a bad value of each secret variable names the variable and never shows the value (ASVS 16.5.1, 13.3.1)', async t => {
  const dir = await mkdtemp(join(tmpdir(), 'latchkey-auth-config-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  for (const [name, value] of Object.entries(badSecrets)) {
    await writeFile(join(dir, name), value)
    const base = { ...goodSecrets, [name]: undefined }
    for (const [how, env] of [['value', { ...base, [name]: value }], ['file', { ...base, [`${name}_FILE`]: join(dir, name) }]] as const) {
      const message = messageOf(() => loadAuthConfig(env))
      t.match(message, new RegExp(`\\b${name}\\b`), `${name} (${how}) is named`)
      const pieces = value.split(/[\s:@/]+/).filter(piece => piece.length >= 6 && !/PRIVATE|BEGIN|mysql|memcached/.test(piece))
      t.notOk(message.includes('leaked') || pieces.some(piece => message.includes(piece)), `${name}'s value (${how}) is not shown`)
    }
  }
})

t.test('with DATABASE_URL and neither SECRETS_KEY nor SECRETS_KEY_FILE the service refuses to start (ASVS 13.3.1)', async t => {
  t.match(messageOf(() => loadAuthConfig({ DATABASE_URL: goodSecrets.DATABASE_URL ?? '' })), /SECRETS_KEY or SECRETS_KEY_FILE: required with DATABASE_URL/)
  t.equal(loadAuthConfig({}).SECRETS_KEY, undefined, 'the embedded default starts: it generates its key in DATA_DIR')
})

t.test('password hashing runs on every core but one by default, so the event loop keeps a core', async t => {
  t.equal(loadAuthConfig({}).PASSWORD_HASH_CONCURRENCY, Math.max(1, availableParallelism() - 1))
  t.equal(loadAuthConfig({ PASSWORD_HASH_CONCURRENCY: '3' }).PASSWORD_HASH_CONCURRENCY, 3, 'a setting wins')
})

t.test('the hashing threads run at nice 10 by default; 0 to 19 may be set', async t => {
  t.equal(loadAuthConfig({}).PASSWORD_HASH_NICE, 10)
  t.equal(loadAuthConfig({ PASSWORD_HASH_NICE: '0' }).PASSWORD_HASH_NICE, 0, 'the event loop\'s own priority')
  t.equal(loadAuthConfig({ PASSWORD_HASH_NICE: '19' }).PASSWORD_HASH_NICE, 19)
  t.match(messageOf(() => loadAuthConfig({ PASSWORD_HASH_NICE: '20' })), /PASSWORD_HASH_NICE/)
  t.match(messageOf(() => loadAuthConfig({ PASSWORD_HASH_NICE: '-5' })), /PASSWORD_HASH_NICE/, 'a higher priority than the event loop\'s is refused')
})

t.test('access tokens live 5 to 86400 seconds', async t => {
  t.equal(loadAuthConfig({ ACCESS_TOKEN_TTL: '5' }).ACCESS_TOKEN_TTL, 5)
  t.match(messageOf(() => loadAuthConfig({ ACCESS_TOKEN_TTL: '4' })), /ACCESS_TOKEN_TTL/)
  t.match(messageOf(() => loadAuthConfig({ ACCESS_TOKEN_TTL: '86401' })), /ACCESS_TOKEN_TTL/)
})

t.test('SECRETS_KEY_PREVIOUS, the older keys still opened while re-keying, needs SECRETS_KEY: the key everything is sealed under (ASVS 13.3.4)', async t => {
  t.match(messageOf(() => loadAuthConfig({ SECRETS_KEY_PREVIOUS: secretsKey })), /SECRETS_KEY_PREVIOUS: only with SECRETS_KEY/)
  t.equal(loadAuthConfig({ SECRETS_KEY: secretsKey, SECRETS_KEY_PREVIOUS: secretsKey }).SECRETS_KEY_PREVIOUS, secretsKey)
})
