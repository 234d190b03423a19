import t from 'tap'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { MAX_TOKEN_LEEWAY_SECONDS } from '@latchkey/contracts'
import { loadUsersConfig } from '../src/index.js'

t.test('loadUsersConfig › gives the documented defaults for an empty environment', async t => {
  t.same(loadUsersConfig({}), {
    USERS_PORT: 3002,
    HOST: '127.0.0.1',
    DATABASE_POOL_MODE: 'session',
    NODE_ENV: 'development',
    METRICS_PORT: 9464,
    METRICS_HOST: '127.0.0.1',
    DOCS_ENABLED: true,
    USERS_DATABASE_SCHEMA: 'users',
    REDIS_PREFIX: 'latchkey:',
    REDIS_COMMAND_TIMEOUT: 1000,
    AUTH_ISSUER: 'http://127.0.0.1:3001',
    AUTH_JWKS_URL: 'http://127.0.0.1:3001/.well-known/jwks.json',
    JWKS_REFETCH_INTERVAL: 10,
    JWKS_REFRESH_INTERVAL: 300,
    TOKEN_AUDIENCE: 'latchkey',
    TOKEN_LEEWAY: 0,
    ACCESS_TOKEN_TTL: 900,
    REVOCATION_MAX_STALENESS: 10,
    HSTS_MAX_AGE: 0,
    PROCESSED_EVENT_RETENTION: 2592000,
    RETENTION_INTERVAL: 3600,
    LOG_LEVEL: 'info'
  })
  t.ok(Object.isFrozen(loadUsersConfig({})))
})

t.test('loadUsersConfig › reads and converts every variable, deriving the JWKS URL from AUTH_ISSUER', async t => {
  const config = loadUsersConfig({
    USERS_PORT: '4002',
    HOST: '0.0.0.0',
    DATABASE_URL: 'postgres://db/latchkey',
    USERS_DATABASE_SCHEMA: 'profiles_eu',
    REDIS_URL: 'redis://cache:6379',
    REDIS_PREFIX: 'lk:',
    REDIS_COMMAND_TIMEOUT: '250',
    AUTH_ISSUER: 'https://auth.example/',
    TOKEN_AUDIENCE: 'aud',
    JWKS_REFETCH_INTERVAL: '30',
    JWKS_REFRESH_INTERVAL: '60',
    TOKEN_LEEWAY: '5',
    ACCESS_TOKEN_TTL: '600',
    REVOCATION_MAX_STALENESS: '3',
    LOG_LEVEL: 'warn',
    TRUST_PROXY: '10.0.0.0/8, 192.0.2.1',
    UNRELATED: 'ignored'
  })
  t.match(config, {
    USERS_PORT: 4002,
    HOST: '0.0.0.0',
    DATABASE_URL: 'postgres://db/latchkey',
    USERS_DATABASE_SCHEMA: 'profiles_eu',
    REDIS_URL: 'redis://cache:6379',
    REDIS_PREFIX: 'lk:',
    REDIS_COMMAND_TIMEOUT: 250,
    AUTH_ISSUER: 'https://auth.example/',
    AUTH_JWKS_URL: 'https://auth.example/.well-known/jwks.json',
    JWKS_REFETCH_INTERVAL: 30,
    JWKS_REFRESH_INTERVAL: 60,
    TOKEN_AUDIENCE: 'aud',
    TOKEN_LEEWAY: 5,
    ACCESS_TOKEN_TTL: 600,
    REVOCATION_MAX_STALENESS: 3,
    LOG_LEVEL: 'warn',
    TRUST_PROXY: '10.0.0.0/8, 192.0.2.1'
  })
  t.notOk('UNRELATED' in config, 'only the variables of the schema')
  t.equal(loadUsersConfig({ AUTH_JWKS_URL: 'http://keys/jwks.json' }).AUTH_JWKS_URL, 'http://keys/jwks.json')
  t.equal(loadUsersConfig({ DATABASE_URL: '' }).DATABASE_URL, undefined, 'empty counts as unset')
})

t.test('loadUsersConfig › refuses invalid values, naming them', async t => {
  t.throws(() => loadUsersConfig({ USERS_PORT: 'http' }), /USERS_PORT/)
  t.throws(() => loadUsersConfig({ TOKEN_LEEWAY: '-1' }), /TOKEN_LEEWAY/)
  // Past the cap, the auth service's revocation entries (kept until exp + the cap) could expire while this guard still accepted the token.
  t.throws(() => loadUsersConfig({ TOKEN_LEEWAY: String(MAX_TOKEN_LEEWAY_SECONDS + 1) }), /TOKEN_LEEWAY/)
  t.throws(() => loadUsersConfig({ ACCESS_TOKEN_TTL: '86401' }), /ACCESS_TOKEN_TTL/)
  t.throws(() => loadUsersConfig({ ACCESS_TOKEN_TTL: '4' }), /ACCESS_TOKEN_TTL/)
  t.equal(loadUsersConfig({ ACCESS_TOKEN_TTL: '5' }).ACCESS_TOKEN_TTL, 5, 'five seconds is the shortest lifetime')
  t.throws(() => loadUsersConfig({ USERS_DATABASE_SCHEMA: 'users; drop table x' }), /USERS_DATABASE_SCHEMA/)
  t.throws(() => loadUsersConfig({ LOG_LEVEL: 'loud' }), /LOG_LEVEL/)
  t.throws(() => loadUsersConfig({ REDIS_COMMAND_TIMEOUT: '0' }), /REDIS_COMMAND_TIMEOUT/)
})

t.test('loadUsersConfig › DATABASE_URL and REDIS_URL also come from *_FILE; a bad value is named, never shown (ASVS 13.3.1, 16.5.1)', async t => {
  const dir = await mkdtemp(join(tmpdir(), 'latchkey-users-config-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  await writeFile(join(dir, 'db'), 'postgres://users:s3cret@db/latchkey\n')
  await writeFile(join(dir, 'redis'), 'redis://users:s3cret@cache:6379')
  const config = loadUsersConfig({ DATABASE_URL_FILE: join(dir, 'db'), REDIS_URL_FILE: join(dir, 'redis') })
  t.equal(config.DATABASE_URL, 'postgres://users:s3cret@db/latchkey', 'one trailing newline is not part of the value')
  t.equal(config.REDIS_URL, 'redis://users:s3cret@cache:6379')
  for (const name of ['DATABASE_URL', 'REDIS_URL']) {
    const value = 'mysql://root:hunter2-the-password@db'
    const error = (() => { try { loadUsersConfig({ [name]: value }) } catch (cause) { return cause as Error } })()
    t.match(error?.message, new RegExp(`${name}: `), `${name} is named`)
    t.notOk(error?.message.includes('hunter2'), `${name}'s value is not shown`)
  }
})
