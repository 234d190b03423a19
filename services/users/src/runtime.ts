/**
 * The connections the users service runs on: PostgreSQL (DATABASE_URL, or the database the
 * launcher hands over), the revocation feed and the account-event consumer on Redis (REDIS_URL,
 * REDIS_SENTINELS or REDIS_CLUSTER_NODES, or the auth service's in-process transports when both
 * run in one process), and
 * the auth service's JWKS. Migrations are applied here, before the app is built.
 */
import { hostname } from 'node:os'
import { randomUUID } from 'node:crypto'
import type { Sql } from 'postgres'
import { createRedisAccountEventConsumer, type AccountEventConsumer } from '@latchkey/account-events'
import { createRedisRevocationFeed, createRemoteKeySource, type RemoteKeySource, type RevocationFeed } from '@latchkey/fastify-jwt-guard'
import type { ProcessLog } from '@latchkey/fastify-problem'
import { closePostgres, migrationsDirectoryOf, openServiceDatabase, runMigrations } from '@latchkey/postgres-kit'
import { redisSettingsOf } from '@latchkey/redis-kit'
import type { UsersConfig } from './config.js'
import type { UsersDeps } from './app.js'

const usersMigrationsDirectory = migrationsDirectoryOf(import.meta.url)

/** Applies every pending migration to `schema` (created if absent); returns the files applied. */
export async function migrateUsersDatabase (sql: Sql, schema: string): Promise<string[]> {
  return await runMigrations(sql, { schema, directory: usersMigrationsDirectory })
}

export interface UsersRuntimeOptions {
  /** The PostgreSQL to use when DATABASE_URL is unset: the launcher's embedded one. */
  databaseUrl?: string
  /**
   * Without Redis: the auth service's in-process revocation feed and account events, valid
   * only because both services run in this one process. They belong to the auth runtime.
   */
  inProcess?: { revocationFeed: RevocationFeed, accountEvents: AccountEventConsumer }
}

export interface UsersRuntime {
  /** keySource fetches the auth service's JWKS: await its ready() where the auth service is known to be up. */
  deps: UsersDeps & { keySource: RemoteKeySource }
  close (): Promise<void>
}

export async function openUsersRuntime (config: UsersConfig, log: ProcessLog, options: UsersRuntimeOptions = {}): Promise<UsersRuntime> {
  const databaseUrl = config.DATABASE_URL ?? options.databaseUrl
  const redisSettings = redisSettingsOf(config)
  const inProcess = redisSettings === undefined ? options.inProcess : undefined
  if (databaseUrl === undefined || (redisSettings === undefined && inProcess === undefined)) {
    throw new Error('the users service needs DATABASE_URL and REDIS_URL, REDIS_SENTINELS or REDIS_CLUSTER_NODES (run `pnpm start` for the embedded default)')
  }
  const schema = config.USERS_DATABASE_SCHEMA
  const { sql, applied } = await openServiceDatabase({
    url: databaseUrl,
    migrationUrl: config.MIGRATION_DATABASE_URL,
    schema,
    poolMode: config.DATABASE_POOL_MODE,
    migrations: usersMigrationsDirectory
  })
  if (applied.length > 0) log.info({ schema, applied }, 'migrations applied')

  const redis = { ...(redisSettings ?? { url: '' }), prefix: config.REDIS_PREFIX }
  const revocationFeed = inProcess?.revocationFeed ?? createRedisRevocationFeed(redis)
  const accountEvents = inProcess?.accountEvents ?? createRedisAccountEventConsumer({
    ...redis,
    group: 'users',
    consumer: `users-${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`,
    log
  })
  const keySource = createRemoteKeySource({ url: config.AUTH_JWKS_URL, refetchIntervalMs: config.JWKS_REFETCH_INTERVAL * 1000, refreshMs: config.JWKS_REFRESH_INTERVAL * 1000 })

  return {
    deps: { sql, revocationFeed, keySource, accountEvents },
    async close () {
      keySource.close()
      if (inProcess === undefined) await revocationFeed.close()
      await closePostgres(sql)
    }
  }
}
