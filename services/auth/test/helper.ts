/**
 * Builds the auth app against this machine's real PostgreSQL and Redis, isolated per test: its
 * own schema (dropped afterwards) and its own Redis key prefix, so test files run in parallel.
 */
import { randomBytes, randomUUID } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Test } from 'tap'
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import { migrationsDirectoryOf } from '@latchkey/postgres-kit'
import type { AccountEvent, RevocationPublisher } from '@latchkey/contracts'
import { createRedisRevocationFeed, type RevocationFeed } from '@latchkey/fastify-jwt-guard'
import { createInProcessRevocationStore, createRedisRevocationPublisher } from '@latchkey/revocation-publisher'
import { createInProcessAccountEvents, createRedisAccountEventPublisher } from '@latchkey/account-events'
import { openTestServiceDatabase, testRedisUrl, type TcpProxy, type TestDatabase } from '@latchkey/test-support'
import type { TokenPair } from '@latchkey/contracts'
import type { Sql } from 'postgres'
import { buildAuthApp, logRedaction } from '../src/app.js'
import { loadAuthConfig, type AuthConfig } from '../src/config.js'
import { createRedisCounterStore } from '../src/plugins/app/abuse/counter-store.js'

/** The Redis revocation store's two sides in one object: the feed a view reads, the publisher the service writes with. */
function redisRevocations (settings: { url: string, prefix: string, commandTimeoutMs: number }): RevocationFeed & RevocationPublisher {
  const feed = createRedisRevocationFeed(settings)
  const publisher = createRedisRevocationPublisher(settings)
  return {
    loadAll: onPage => feed.loadAll(onPage),
    subscribe: listener => feed.subscribe(listener),
    isConnected: () => feed.isConnected(),
    publish: entries => publisher.publish(entries),
    seed: entries => publisher.seed(entries),
    currentEpoch: () => publisher.currentEpoch(),
    heartbeat: epoch => publisher.heartbeat(epoch),
    async close () { await Promise.all([feed.close(), publisher.close()]) }
  }
}
const authMigrations = migrationsDirectoryOf(import.meta.url)

export interface TestAuth {
  app: FastifyInstance
  config: AuthConfig
  sql: Sql
  /** Both sides of the revocation store, as a replica's runtime has them. */
  feed: RevocationFeed & RevocationPublisher
  schema: string
  prefix: string
  /** Builds another app on the same schema and prefix (a second replica, or a restart). */
  buildReplica: () => Promise<FastifyInstance>
  /** Every account event delivered so far, as the users service receives it (the outbox keeps no name after delivery). */
  publishedEvents: AccountEvent[]
  /** The proxy between the app and its database (with `databaseProxy`), for a fault test to cut. */
  databaseProxy: TcpProxy | undefined
  /** How the app reaches its schema (`env`: for a CLI or server process on the same schema). */
  database: TestDatabase
}

export interface BuildOptions {
  env?: Record<string, string>
  schema?: string
  prefix?: string
  redisUrl?: string
  /** The app reaches its database through a proxy of the test's own, which a fault test can cut. */
  databaseProxy?: boolean
  /** Abuse-limit counters in process (the embedded default) even when Redis is there. */
  memoryCounters?: boolean
  /** Where the first app's pino log goes (at info level), for tests that read the logs. */
  logStream?: NodeJS.WritableStream
}

export async function build (t: Test, options: BuildOptions = {}): Promise<TestAuth> {
  const schema = options.schema ?? `auth_t_${randomBytes(5).toString('hex')}`
  const prefix = options.prefix ?? `test:${randomUUID()}:`
  const serviceDatabase = await openTestServiceDatabase({ schema, migrations: authMigrations, proxy: options.databaseProxy, max: 5 })
  const { sql, database, proxy: databaseProxy, url: databaseUrl } = serviceDatabase
  const url = options.redisUrl ?? await testRedisUrl()
  // Without SMTP_URL mails become files under DATA_DIR: a directory of this test's own.
  const dataDir = await mkdtemp(join(tmpdir(), 'latchkey-auth-test-'))
  const config = loadAuthConfig({
    DATA_DIR: dataDir,
    ...database.env,
    DATABASE_URL: databaseUrl,
    ...(url === undefined ? {} : { REDIS_URL: url }),
    AUTH_DATABASE_SCHEMA: schema,
    REDIS_PREFIX: prefix,
    AUTH_ISSUER: 'http://auth.test',
    LOG_LEVEL: 'silent',
    SECRETS_KEY: randomBytes(32).toString('base64'),
    ...options.env
  })

  const closers: Array<() => Promise<void>> = []
  const redis = { prefix, commandTimeoutMs: config.REDIS_COMMAND_TIMEOUT }
  // Without Redis, replicas share one in-process feed: they live in this one process.
  const sharedFeed = url === undefined ? createInProcessRevocationStore() : undefined
  let logStream = options.logStream
  const publishedEvents: AccountEvent[] = []
  async function buildReplica (): Promise<FastifyInstance> {
    const feed = sharedFeed ?? redisRevocations({ url: url ?? '', ...redis })
    const accountEvents = url === undefined ? createInProcessAccountEvents() : createRedisAccountEventPublisher({ url, ...redis })
    const publish = accountEvents.publish.bind(accountEvents)
    accountEvents.publish = async event => { await publish(event); publishedEvents.push(event) }
    const counterStore = url === undefined || options.memoryCounters === true ? undefined : createRedisCounterStore({ url, ...redis })
    const logger = logStream === undefined ? false : { level: 'info', stream: logStream, redact: { paths: logRedaction, censor: '[redacted]' } }
    logStream = undefined
    const app = await buildAuthApp(config, { sql, revocationFeed: feed, revocationPublisher: feed, accountEvents, counterStore }, { logger })
    await app.ready()
    closers.push(async () => {
      await app.close()
      await counterStore?.close()
      if (feed !== sharedFeed) await feed.close()
      if ('close' in accountEvents) await accountEvents.close()
    })
    return app
  }

  const feed = sharedFeed ?? redisRevocations({ url: url ?? '', ...redis })
  const app = await buildReplica()
  t.teardown(async () => {
    for (const close of closers.reverse()) await close()
    await feed.close()
    await serviceDatabase.close({ keepSchema: options.schema !== undefined })
    await rm(dataDir, { recursive: true, force: true })
  })
  return { app, config, sql, feed, schema, prefix, buildReplica, publishedEvents, databaseProxy, database }
}

export const strongPassword = 'correct horse battery staple'

export function uniqueEmail (): string {
  return `user-${randomUUID()}@example.test`
}

export async function register (app: FastifyInstance, overrides: Partial<{ email: string, password: string, name: string }> = {}): Promise<{ id: string, email: string, password: string }> {
  const body = { email: uniqueEmail(), password: strongPassword, name: 'Test User', ...overrides }
  const response = await app.inject({ method: 'POST', url: '/accounts', payload: body })
  if (response.statusCode !== 201) throw new Error(`register failed: ${response.statusCode} ${response.body}`)
  return { id: response.json<{ id: string }>().id, email: body.email, password: body.password }
}

export async function logIn (app: FastifyInstance, email: string, password: string = strongPassword): Promise<TokenPair> {
  const response = await app.inject({ method: 'POST', url: '/sessions', payload: { email, password } })
  if (response.statusCode !== 201) throw new Error(`log in failed: ${response.statusCode} ${response.body}`)
  return response.json<TokenPair>()
}

/** A registered account with one logged-in session. */
export async function registeredUser (app: FastifyInstance): Promise<{ id: string, email: string, password: string, tokens: TokenPair }> {
  const account = await register(app)
  return { ...account, tokens: await logIn(app, account.email) }
}

export function bearer (token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` }
}

export function problemOf (response: LightMyRequestResponse): { code: string, status: number, errors?: Array<{ path: string, message: string }> } {
  return response.json()
}

/** Polls until `check` holds or the deadline passes; returns whether it held. */
export async function eventually (check: () => Promise<boolean>, timeoutMs = 1000, everyMs = 20): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (await check()) return true
    await new Promise(resolve => setTimeout(resolve, everyMs))
  }
  return await check()
}
