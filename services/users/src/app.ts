/**
 * The users service as one Fastify plugin, registered in three tiers: external integrations,
 * our own decorators, then routes. buildUsersApp wraps it in a configured Fastify instance; the
 * dependencies (database pool, revocation feed, key source, event transport) are injected so the
 * standalone server and the one-process launcher can each supply their own.
 */
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyPluginAsync, type FastifyServerOptions } from 'fastify'
import type { Sql } from 'postgres'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { AccountEventConsumer } from '@latchkey/account-events'
import type { KeySource, RevocationFeed } from '@latchkey/fastify-jwt-guard'
import {
  createStrictValidatorCompiler, fastifyProblem, frameworkErrors, namedLogger, requestIdOptions, serviceLoggerOptions, wantsPrettyLogs
} from '@latchkey/fastify-problem'
import type { UsersConfig } from './config.js'
import securityHeaders from './plugins/external/security-headers.js'
import swagger from './plugins/external/swagger.js'
import postgres from './plugins/external/postgres.js'
import jwtGuard from './plugins/external/jwt-guard.js'
import sharedSchemas from './plugins/app/shared-schemas.js'
import contentTypes from './plugins/app/content-types.js'
import profilesRepository from './plugins/app/profiles-repository.js'
import accountEventsConsumer from './plugins/app/account-events-consumer.js'
import metrics from './plugins/app/metrics.js'
import healthRoutes from './routes/health/index.js'
import meRoutes from './routes/users/me.js'
import userByIdRoutes from './routes/users/by-id.js'
import listRoutes from './routes/users/list.js'

export interface UsersDeps {
  /** Must come from postgres-kit's connectPostgres (schema-pinned search_path, camelCase columns). Not closed by the app. */
  sql: Sql
  /** Not closed by the app. */
  revocationFeed: RevocationFeed
  /** Not closed by the app. */
  keySource: KeySource
  /** Started when the app is ready, closed when the app closes. */
  accountEvents: AccountEventConsumer
}

export interface UsersAppOptions {
  /** A logger configuration or instance (its lines get `service: 'users'`); default: pino at config.logLevel, pretty on a terminal. */
  logger?: FastifyServerOptions['logger'] | FastifyBaseLogger
}

const REDACTED = [
  'req.headers.authorization',
  'req.headers.cookie',
  '*.password',
  '*.currentPassword',
  '*.newPassword',
  '*.refreshToken',
  '*.accessToken'
]

export const usersService: FastifyPluginAsync<{ config: Readonly<UsersConfig>, deps: UsersDeps }> = async (app, { config, deps }) => {
  // Before any route, so that every route counts for the 405 answers and their Allow header.
  await app.register(fastifyProblem)
  await app.register(securityHeaders, { corsOrigins: config.corsOrigins, hstsMaxAgeSeconds: config.hstsMaxAgeSeconds })
  await app.register(swagger, { serverUrl: `http://${['0.0.0.0', '::'].includes(config.host) ? '127.0.0.1' : config.host}:${config.port}` })
  await app.register(postgres, { sql: deps.sql, schema: config.databaseSchema })
  await app.register(jwtGuard, {
    keySource: deps.keySource,
    revocationFeed: deps.revocationFeed,
    issuer: config.authIssuer,
    audience: config.tokenAudience,
    leewaySeconds: config.tokenLeewaySeconds,
    maxLifetimeSeconds: config.accessTokenTtlSeconds,
    maxStalenessSeconds: config.revocationMaxStalenessSeconds
  })

  await app.register(sharedSchemas)
  await app.register(contentTypes)
  await app.register(profilesRepository)
  await app.register(accountEventsConsumer, { consumer: deps.accountEvents })
  await app.register(metrics)

  await app.register(healthRoutes)
  await app.register(meRoutes)
  await app.register(userByIdRoutes)
  await app.register(listRoutes)
}

/** A configured, fully registered users app: call listen() (or ready()) to start consuming events. */
export async function buildUsersApp (config: Readonly<UsersConfig>, deps: UsersDeps, options: UsersAppOptions = {}): Promise<FastifyInstance> {
  const logger = options.logger ?? serviceLoggerOptions('users', { level: config.logLevel, redact: REDACTED, pretty: wantsPrettyLogs(process.env.NODE_ENV) })
  const app = Fastify({
    ...(typeof logger === 'object' && 'child' in logger ? { loggerInstance: namedLogger('users', logger) } : { logger: namedLogger('users', logger) }),
    ...requestIdOptions(config.trustedProxies),
    // Only the named proxies may say who the client is (ASVS 4.1.3).
    trustProxy: config.trustedProxies.length > 0 ? [...config.trustedProxies] : false,
    bodyLimit: 16 * 1024,
    connectionTimeout: 30_000,
    requestTimeout: 15_000,
    keepAliveTimeout: 5_000,
    pluginTimeout: 30_000,
    frameworkErrors
  }).withTypeProvider<TypeBoxTypeProvider>()
  // Bodies are validated exactly as sent: no coercion, no silent dropping of unknown fields.
  app.setValidatorCompiler(createStrictValidatorCompiler())
  await app.register(usersService, { config, deps })
  return app
}
