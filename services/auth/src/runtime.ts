/**
 * The connections the auth service runs on, picked by configuration: PostgreSQL from DATABASE_URL
 * or the embedded default; the revocation publisher, the revocation feed its own view reads and
 * the account-event publisher on Redis from REDIS_URL, REDIS_SENTINELS or REDIS_CLUSTER_NODES, or
 * in process. Migrations are applied here, before the app is built.
 */
import { closePostgres, migrationsDirectoryOf, openServiceDatabase, runMigrations, startEmbeddedPostgres } from '@latchkey/postgres-kit'
import { redisSettingsOf, type RedisSettings } from '@latchkey/redis-kit'
import type { RevocationFeed, RevocationPublisher } from '@latchkey/contracts'
import { createRedisRevocationFeed } from '@latchkey/fastify-jwt-guard'
import { createInProcessRevocationStore, createRedisRevocationPublisher } from '@latchkey/revocation-publisher'
import { createInProcessAccountEvents, createRedisAccountEventPublisher, type InProcessAccountEvents } from '@latchkey/account-events'
import type { Sql } from 'postgres'
import type { AuthConfig } from './config.js'
import { createMemoryCounterStore, createRedisCounterStore } from './plugins/app/abuse/counter-store.js'
import type { AuthDependencies } from './app.js'

const authMigrationsDirectory = migrationsDirectoryOf(import.meta.url)

export async function migrateAuthDatabase (sql: Sql, schema: string): Promise<string[]> {
  return await runMigrations(sql, { schema, directory: authMigrationsDirectory })
}

export interface AuthRuntime {
  deps: AuthDependencies
  /** The PostgreSQL it runs on: DATABASE_URL, or the embedded server it started. */
  databaseUrl: string
  /** Without Redis: the in-process account-event transport, whose consumer end the users service takes. */
  inProcessEvents: InProcessAccountEvents | undefined
  close (): Promise<void>
}

/** Start-up messages go here before the app's own logger exists. */
export interface BootLog {
  info (obj: object, msg: string): void
  warn (obj: object, msg: string): void
  /** For the Redis transports' connection errors; default: warn. */
  error?: (obj: object, msg: string) => void
}

/**
 * The revocation publisher and the feed this service's own view reads: on Redis, or one
 * in-process store that is both (which the launcher also hands to the users service's view).
 */
function openRevocations (redis: RedisSettings & { prefix: string } | undefined): { revocationPublisher: RevocationPublisher, revocationFeed: RevocationFeed } {
  if (redis === undefined) {
    const store = createInProcessRevocationStore()
    return { revocationPublisher: store, revocationFeed: store }
  }
  return { revocationPublisher: createRedisRevocationPublisher(redis), revocationFeed: createRedisRevocationFeed(redis) }
}

export async function openAuthRuntime (config: AuthConfig, log: BootLog): Promise<AuthRuntime> {
  let databaseUrl = config.DATABASE_URL
  let stopEmbedded: (() => Promise<void>) | undefined
  if (databaseUrl === undefined) {
    if (config.NODE_ENV === 'production') throw new Error('DATABASE_URL is required when NODE_ENV=production; the embedded PostgreSQL is for development only')
    const embedded = await startEmbeddedPostgres({ dataDir: config.DATA_DIR })
    databaseUrl = embedded.url
    stopEmbedded = async () => { await embedded.stop() }
    log.warn({ mode: 'embedded-postgres', dataDir: config.DATA_DIR }, 'embedded PostgreSQL (development only; set DATABASE_URL for a real one)')
  }
  const { sql } = await openServiceDatabase({
    url: databaseUrl,
    migrationUrl: config.MIGRATION_DATABASE_URL,
    schema: config.AUTH_DATABASE_SCHEMA,
    poolMode: config.DATABASE_POOL_MODE,
    migrations: authMigrationsDirectory
  })

  const redisSettings = redisSettingsOf(config)
  if (redisSettings === undefined) {
    log.warn({ mode: 'in-process' }, 'revocations and account events travel in process (valid only while every service runs in this process; set REDIS_URL, REDIS_SENTINELS or REDIS_CLUSTER_NODES)')
  }
  const redis = redisSettings === undefined ? undefined : { ...redisSettings, prefix: config.REDIS_PREFIX }
  const { revocationPublisher, revocationFeed } = openRevocations(redis)
  const inProcessEvents = redis === undefined ? createInProcessAccountEvents() : undefined
  const accountEvents = inProcessEvents ?? createRedisAccountEventPublisher({
    ...(redis ?? { url: '', prefix: config.REDIS_PREFIX }),
    log: {
      info: (obj, msg) => { log.info(obj, msg) },
      warn: (obj, msg) => { log.warn(obj, msg) },
      error: log.error ?? ((obj, msg) => { log.warn(obj, msg) })
    }
  })

  const counterStore = redis === undefined ? createMemoryCounterStore() : createRedisCounterStore(redis)

  return {
    deps: { sql, revocationFeed, revocationPublisher, accountEvents, counterStore },
    databaseUrl,
    inProcessEvents,
    async close () {
      await revocationFeed.close()
      await revocationPublisher.close()
      await counterStore.close()
      if ('close' in accountEvents) await accountEvents.close()
      await closePostgres(sql)
      await stopEmbedded?.()
    }
  }
}
