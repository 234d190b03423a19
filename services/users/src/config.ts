/**
 * The users service's configuration: one TypeBox schema of its environment (names and defaults as
 * in docs/configuration.md), validated at start into one frozen object whose type is the schema's;
 * a bad value stops the process with a message naming the variable. USERS_DATABASE_SCHEMA and
 * REDIS_PREFIX exist so tests (and co-hosted deployments) can isolate their data.
 */
import { Type, type Static } from '@sinclair/typebox'
import { ConfigError, DatabasePoolModeSchema, MigrationDatabaseUrlSchema, parseEnv, RedisCommandTimeoutSchema, RedisDeploymentEnv, redisDeploymentProblems, TokenLeewaySchema } from '@latchkey/contracts'

export const UsersConfigSchema = Type.Object({
  USERS_PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 3002, description: 'Port of the users service' }),
  HOST: Type.String({ minLength: 1, default: '127.0.0.1', description: 'Interface to listen on' }),
  NODE_ENV: Type.String({ default: 'development' }),
  METRICS_PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 9464, description: 'Port of the metrics listener (GET /metrics), one per process; 0 = any free port' }),
  METRICS_HOST: Type.String({ default: '127.0.0.1', minLength: 1, description: 'Interface of the metrics listener: only the scraper should reach it' }),
  DOCS_ENABLED: Type.Optional(Type.Boolean({ description: 'Serve the OpenAPI document and Swagger UI at /docs; default true, false when NODE_ENV=production' })),
  DATABASE_URL: Type.Optional(Type.String({ secret: true, pattern: '^postgres(ql)?://', description: 'PostgreSQL URL; unset = the launcher\'s embedded PostgreSQL' })),
  DATABASE_POOL_MODE: DatabasePoolModeSchema,
  MIGRATION_DATABASE_URL: MigrationDatabaseUrlSchema,
  USERS_DATABASE_SCHEMA: Type.String({ pattern: '^[a-z_][a-z0-9_]{0,62}$', default: 'users', description: 'PostgreSQL schema owned by this service' }),
  REDIS_URL: Type.Optional(Type.String({ secret: true, pattern: '^rediss?://', description: 'Redis URL; unset (and no REDIS_SENTINELS or REDIS_CLUSTER_NODES) = revocations and events in process (launcher only)' })),
  ...RedisDeploymentEnv,
  REDIS_PREFIX: Type.String({ default: 'latchkey:', description: 'Prefix of every Redis key and channel' }),
  REDIS_COMMAND_TIMEOUT: RedisCommandTimeoutSchema,
  AUTH_ISSUER: Type.String({ minLength: 1, default: 'http://127.0.0.1:3001', description: 'iss the access tokens must carry: the auth service\'s base URL' }),
  AUTH_JWKS_URL: Type.Optional(Type.String({ minLength: 1, description: 'Where the signing keys are fetched; unset = AUTH_ISSUER/.well-known/jwks.json' })),
  JWKS_REFETCH_INTERVAL: Type.Integer({ minimum: 1, maximum: 3600, default: 10, description: 'Seconds between JWKS refetches caused by an unknown kid' }),
  JWKS_REFRESH_INTERVAL: Type.Integer({ minimum: 1, maximum: 300, default: 300, description: 'Seconds between periodic JWKS refetches: a withdrawn or retired key is dropped by then; keep KEY_PUBLISH_DELAY above it' }),
  TOKEN_AUDIENCE: Type.String({ minLength: 1, default: 'latchkey', description: 'aud the access tokens must carry' }),
  TOKEN_LEEWAY: TokenLeewaySchema,
  ACCESS_TOKEN_TTL: Type.Integer({ minimum: 5, maximum: 86400, default: 900, description: 'The auth service\'s access-token lifetime, seconds: tokens living longer are refused' }),
  REVOCATION_MAX_STALENESS: Type.Integer({ minimum: 1, default: 10, description: 'Seconds the revocation view may go unconfirmed before 503' }),
  TRUST_PROXY: Type.Optional(Type.String({ description: 'Comma-separated addresses/CIDRs of trusted proxies; X-Forwarded-For and X-Request-Id from anyone else are ignored' })),
  CORS_ORIGINS: Type.Optional(Type.String({ description: 'Comma-separated origins allowed by CORS; none by default' })),
  HSTS_MAX_AGE: Type.Integer({ minimum: 0, default: 0, description: 'Strict-Transport-Security max-age, seconds; 0 = none' }),
  PROCESSED_EVENT_RETENTION: Type.Integer({ minimum: 0, default: 2592000, description: 'Seconds the record of an applied account event is kept (at least OUTBOX_RETENTION)' }),
  RETENTION_INTERVAL: Type.Integer({ minimum: 1, default: 3600, description: 'Seconds between two retention runs' }),
  LOG_LEVEL: Type.Union(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map(level => Type.Literal(level)), { default: 'info' })
})

export type UsersConfig = Static<typeof UsersConfigSchema> & { AUTH_JWKS_URL: string, DOCS_ENABLED: boolean }

export function loadUsersConfig (env: Record<string, string | undefined> = process.env): UsersConfig {
  const config = parseEnv(UsersConfigSchema, env)
  const redisProblems = redisDeploymentProblems(config)
  if (redisProblems.length > 0) throw new ConfigError(redisProblems)
  const jwksUrl = config.AUTH_JWKS_URL ?? `${config.AUTH_ISSUER.replace(/\/+$/, '')}/.well-known/jwks.json`
  // The API's description helps an attacker as much as a developer: production opts in (ASVS 13.4.5).
  const docsEnabled = config.DOCS_ENABLED ?? config.NODE_ENV !== 'production'
  return Object.freeze({ ...config, AUTH_JWKS_URL: jwksUrl, DOCS_ENABLED: docsEnabled })
}
