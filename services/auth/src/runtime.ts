/**
 * The connections the auth service runs on, picked by configuration: PostgreSQL from DATABASE_URL
 * or the embedded default; the revocation feed and account-event publisher on Redis from
 * REDIS_URL, or in process. Migrations are applied here, before the app is built.
 */
import type { FastifyBaseLogger } from 'fastify'
import { closePostgres, connectPostgres, migrationsDirectoryOf, runMigrations, startEmbeddedPostgres } from '@latchkey/postgres-kit'
import { createInProcessRevocationFeed, createRedisRevocationFeed } from '@latchkey/fastify-jwt-guard'
import { createInProcessAccountEvents, createRedisAccountEventPublisher } from '@latchkey/account-events'
import type { Sql } from 'postgres'
import type { AuthConfig } from './config.js'
import type { AuthDependencies } from './app.js'

export const authMigrationsDirectory = migrationsDirectoryOf(import.meta.url)

export async function migrateAuthDatabase (sql: Sql, schema: string): Promise<string[]> {
  return await runMigrations(sql, { schema, directory: authMigrationsDirectory })
}

export interface AuthRuntime {
  deps: AuthDependencies
  close (): Promise<void>
}

export async function openAuthRuntime (config: AuthConfig, log: Pick<FastifyBaseLogger, 'info' | 'warn'>): Promise<AuthRuntime> {
  let databaseUrl = config.DATABASE_URL
  let stopEmbedded: (() => Promise<void>) | undefined
  if (databaseUrl === undefined) {
    if (config.NODE_ENV === 'production') throw new Error('DATABASE_URL is required when NODE_ENV=production; the embedded PostgreSQL is for development only')
    const embedded = await startEmbeddedPostgres({ dataDir: config.DATA_DIR })
    databaseUrl = embedded.url
    stopEmbedded = embedded.stop
    log.warn({ dataDir: config.DATA_DIR }, 'mode: embedded PostgreSQL (development only; set DATABASE_URL for a real one)')
  }
  const sql = connectPostgres({ url: databaseUrl, schema: config.DATABASE_SCHEMA })
  await migrateAuthDatabase(sql, config.DATABASE_SCHEMA)

  if (config.REDIS_URL === undefined) {
    log.warn('mode: revocations and account events in process (valid only while every service runs in this process; set REDIS_URL)')
  }
  const revocationFeed = config.REDIS_URL === undefined
    ? createInProcessRevocationFeed()
    : createRedisRevocationFeed({ url: config.REDIS_URL, prefix: config.REDIS_PREFIX })
  const accountEvents = config.REDIS_URL === undefined
    ? createInProcessAccountEvents()
    : createRedisAccountEventPublisher({ url: config.REDIS_URL, prefix: config.REDIS_PREFIX })

  return {
    deps: { sql, revocationFeed, accountEvents },
    async close () {
      await revocationFeed.close()
      if ('close' in accountEvents) await accountEvents.close()
      await closePostgres(sql)
      await stopEmbedded?.()
    }
  }
}
