/**
 * The users service as one Fastify plugin, registered in three tiers: external integrations,
 * our own decorators, then routes. buildUsersApp wraps it in a configured Fastify instance; the
 * dependencies (database pool, revocation feed, key source, event transport) are injected so the
 * standalone server and the one-process launcher can each supply their own.
 */
import type { FastifyBaseLogger, FastifyInstance, FastifyPluginAsync, FastifyServerOptions } from 'fastify'
import type { Sql } from 'postgres'
import { commaList, ProfileSchema, PublicProfilePageSchema, PublicProfileSchema } from '@latchkey/contracts'
import type { AccountEventConsumer } from '@latchkey/account-events'
import type { KeySource, RevocationFeed } from '@latchkey/fastify-jwt-guard'
import { fastifyProblem } from '@latchkey/fastify-problem'
import { createServiceApp, health, openapi } from '@latchkey/service-kit'
import type { UsersConfig } from './config.js'
import securityHeaders from './plugins/external/security-headers.js'
import postgres from './plugins/external/postgres.js'
import jwtGuard from './plugins/external/jwt-guard.js'
import contentTypes from './plugins/app/content-types.js'
import profilesRepository from './plugins/app/profiles/profiles-repository.js'
import accountEventsConsumer from './plugins/app/account-events-consumer.js'
import metrics from './plugins/app/metrics.js'
import retention from './plugins/app/retention/retention.js'
import meRoutes from './routes/users/me.js'
import userByIdRoutes from './routes/users/by-id.js'
import listRoutes from './routes/users/list.js'

export interface UsersDeps {
  /** Must come from postgres-kit's connectPostgres (schema-pinned search_path, camelCase columns), migrated (the runtime does it). Not closed by the app. */
  sql: Sql
  /** Not closed by the app. */
  revocationFeed: RevocationFeed
  /** Not closed by the app. */
  keySource: KeySource
  /** Started when the app is ready, closed when the app closes. */
  accountEvents: AccountEventConsumer
}

export interface UsersAppOptions {
  /** A logger configuration or instance (its lines get `service: 'users'`); default: pino at LOG_LEVEL, pretty on a terminal. */
  logger?: FastifyServerOptions['logger'] | FastifyBaseLogger
}

export const usersService: FastifyPluginAsync<{ config: UsersConfig, deps: UsersDeps }> = async (app, { config, deps }) => {
  // Before any route, so that every route counts for the 405 answers and their Allow header.
  await app.register(fastifyProblem)
  await app.register(securityHeaders, { corsOrigins: commaList(config.CORS_ORIGINS), hstsMaxAgeSeconds: config.HSTS_MAX_AGE })
  await app.register(openapi, {
    title: 'Latchkey users service',
    description: 'Profiles: who a person is. Credentials and sessions live in the auth service.',
    serverUrl: `http://${['0.0.0.0', '::'].includes(config.HOST) ? '127.0.0.1' : config.HOST}:${config.USERS_PORT}`,
    tags: [{ name: 'profiles', description: 'Your own and other people\'s profiles' }],
    schemas: [ProfileSchema, PublicProfileSchema, PublicProfilePageSchema],
    ui: config.DOCS_ENABLED
  })
  await app.register(postgres, { sql: deps.sql })
  await app.register(jwtGuard, {
    keySource: deps.keySource,
    revocationFeed: deps.revocationFeed,
    issuer: config.AUTH_ISSUER,
    audience: config.TOKEN_AUDIENCE,
    leewaySeconds: config.TOKEN_LEEWAY,
    maxLifetimeSeconds: config.ACCESS_TOKEN_TTL,
    maxStalenessSeconds: config.REVOCATION_MAX_STALENESS
  })

  await app.register(contentTypes)
  await app.register(profilesRepository)
  await app.register(accountEventsConsumer, { consumer: deps.accountEvents })
  await app.register(retention, { sql: deps.sql, processedEventRetentionSeconds: config.PROCESSED_EVENT_RETENTION, intervalSeconds: config.RETENTION_INTERVAL })
  await app.register(metrics)

  await app.register(health, {
    checks: {
      postgres: async () => { await deps.sql`SELECT 1`; return true },
      revocations: () => !app.revocations.isStale(),
      accountEvents: () => app.accountEvents.running
    }
  })
  await app.register(meRoutes)
  await app.register(userByIdRoutes)
  await app.register(listRoutes)
}

/** A configured, fully registered users app: call listen() (or ready()) to start consuming events. */
export async function buildUsersApp (config: UsersConfig, deps: UsersDeps, options: UsersAppOptions = {}): Promise<FastifyInstance> {
  const app = createServiceApp({ service: 'users', logLevel: config.LOG_LEVEL, nodeEnv: config.NODE_ENV, trustedProxies: commaList(config.TRUST_PROXY), logger: options.logger })
  await app.register(usersService, { config, deps })
  return app
}
