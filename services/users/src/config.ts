/**
 * The users service's configuration: one TypeBox schema over the environment, loaded once into a
 * frozen, typed object. Names and defaults are those of docs/configuration.md;
 * USERS_DATABASE_SCHEMA and REDIS_PREFIX exist so tests (and co-hosted deployments) can isolate
 * their data.
 */
import { Type } from '@sinclair/typebox'
import { DEFAULT_REDIS_COMMAND_TIMEOUT_MS, parseEnv, RedisCommandTimeoutSchema } from '@latchkey/contracts'

const Port = Type.Integer({ minimum: 0, maximum: 65535 })
const Seconds = Type.Integer({ minimum: 0 })

export const UsersEnvSchema = Type.Object({
  USERS_PORT: Type.Optional(Port),
  HOST: Type.Optional(Type.String({ minLength: 1 })),
  DATABASE_URL: Type.Optional(Type.String({ minLength: 1 })),
  USERS_DATABASE_SCHEMA: Type.Optional(Type.String({ pattern: '^[a-z_][a-z0-9_]{0,62}$' })),
  REDIS_URL: Type.Optional(Type.String({ minLength: 1 })),
  REDIS_PREFIX: Type.Optional(Type.String()),
  REDIS_COMMAND_TIMEOUT: Type.Optional(RedisCommandTimeoutSchema),
  AUTH_ISSUER: Type.Optional(Type.String({ minLength: 1 })),
  AUTH_JWKS_URL: Type.Optional(Type.String({ minLength: 1 })),
  JWKS_REFETCH_INTERVAL: Type.Optional(Type.Integer({ minimum: 1, maximum: 3600, description: 'Seconds between JWKS refetches caused by an unknown kid' })),
  TOKEN_AUDIENCE: Type.Optional(Type.String({ minLength: 1 })),
  TOKEN_LEEWAY: Type.Optional(Seconds),
  ACCESS_TOKEN_TTL: Type.Optional(Type.Integer({ minimum: 30, maximum: 86400, description: 'The auth service\'s access-token lifetime, seconds: tokens living longer are refused' })),
  REVOCATION_MAX_STALENESS: Type.Optional(Type.Integer({ minimum: 1 })),
  TRUST_PROXY: Type.Optional(Type.String({ description: 'Comma-separated addresses/CIDRs of trusted proxies; X-Forwarded-For and X-Request-Id from anyone else are ignored' })),
  CORS_ORIGINS: Type.Optional(Type.String({ description: 'Comma-separated origins allowed by CORS; none by default' })),
  HSTS_MAX_AGE: Type.Optional(Type.Integer({ minimum: 0, description: 'Strict-Transport-Security max-age, seconds; 0 = none' })),
  LOG_LEVEL: Type.Optional(Type.Union(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map(level => Type.Literal(level))))
})

export interface UsersConfig {
  port: number
  host: string
  /** Absent in the embedded default, where the launcher injects the database. */
  databaseUrl: string | undefined
  databaseSchema: string
  /** Absent in the embedded default, where revocations and events travel in process. */
  redisUrl: string | undefined
  redisPrefix: string
  /** Longest wait for one Redis command, ms (REDIS_COMMAND_TIMEOUT). */
  redisCommandTimeoutMs: number
  authIssuer: string
  authJwksUrl: string
  /** An unknown kid refetches the JWKS at most once per this many ms (JWKS_REFETCH_INTERVAL). */
  jwksRefetchIntervalMs: number
  tokenAudience: string
  tokenLeewaySeconds: number
  /** The longest exp - iat accepted: the auth service's ACCESS_TOKEN_TTL, shared by both services. */
  accessTokenTtlSeconds: number
  revocationMaxStalenessSeconds: number
  logLevel: string
  /** Peers whose X-Forwarded-For and X-Request-Id are believed. */
  trustedProxies: string[]
  corsOrigins: string[]
  hstsMaxAgeSeconds: number
}

function commaList (value: string | undefined): string[] {
  return (value ?? '').split(',').map(item => item.trim()).filter(item => item !== '')
}

export function loadUsersConfig (env: NodeJS.ProcessEnv = process.env): Readonly<UsersConfig> {
  const e = parseEnv(UsersEnvSchema, env)
  const authIssuer = e.AUTH_ISSUER ?? 'http://127.0.0.1:3001'
  return Object.freeze({
    port: e.USERS_PORT ?? 3002,
    host: e.HOST ?? '127.0.0.1',
    databaseUrl: e.DATABASE_URL,
    databaseSchema: e.USERS_DATABASE_SCHEMA ?? 'users',
    redisUrl: e.REDIS_URL,
    redisPrefix: e.REDIS_PREFIX ?? 'latchkey:',
    redisCommandTimeoutMs: e.REDIS_COMMAND_TIMEOUT ?? DEFAULT_REDIS_COMMAND_TIMEOUT_MS,
    authIssuer,
    authJwksUrl: e.AUTH_JWKS_URL ?? `${authIssuer.replace(/\/+$/, '')}/.well-known/jwks.json`,
    jwksRefetchIntervalMs: (e.JWKS_REFETCH_INTERVAL ?? 10) * 1000,
    tokenAudience: e.TOKEN_AUDIENCE ?? 'latchkey',
    tokenLeewaySeconds: e.TOKEN_LEEWAY ?? 0,
    accessTokenTtlSeconds: e.ACCESS_TOKEN_TTL ?? 900,
    revocationMaxStalenessSeconds: e.REVOCATION_MAX_STALENESS ?? 10,
    logLevel: e.LOG_LEVEL ?? 'info',
    trustedProxies: commaList(e.TRUST_PROXY),
    corsOrigins: commaList(e.CORS_ORIGINS),
    hstsMaxAgeSeconds: e.HSTS_MAX_AGE ?? 0
  })
}
