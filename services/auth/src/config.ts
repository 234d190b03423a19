/**
 * The auth service's configuration: one TypeBox schema of its environment (names as in docs/configuration.md),
 * validated at start; a bad value stops the process with a message naming the variable.
 */
import { createPrivateKey } from 'node:crypto'
import { availableParallelism } from 'node:os'
import { Type, type Static } from '@sinclair/typebox'
import { ConfigError, DatabasePoolModeSchema, MigrationDatabaseUrlSchema, parseEnv, RedisCommandTimeoutSchema, RedisDeploymentEnv, redisDeploymentProblems, TokenLeewaySchema } from '@latchkey/contracts'

const Seconds = (value: number, description: string) => Type.Integer({ minimum: 0, default: value, description })

export const AuthConfigSchema = Type.Object({
  NODE_ENV: Type.String({ default: 'development' }),
  AUTH_PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 3001, description: 'Port of the auth service' }),
  HOST: Type.String({ default: '127.0.0.1', description: 'Interface to listen on' }),
  METRICS_PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 9464, description: 'Port of the metrics listener (GET /metrics), one per process; 0 = any free port' }),
  METRICS_HOST: Type.String({ default: '127.0.0.1', minLength: 1, description: 'Interface of the metrics listener: only the scraper should reach it' }),
  DOCS_ENABLED: Type.Optional(Type.Boolean({ description: 'Serve the OpenAPI document and Swagger UI at /docs; default true, false when NODE_ENV=production' })),
  DATABASE_URL: Type.Optional(Type.String({ secret: true, pattern: '^postgres(ql)?://', description: 'PostgreSQL URL; unset = embedded PostgreSQL under DATA_DIR' })),
  DATABASE_POOL_MODE: DatabasePoolModeSchema,
  MIGRATION_DATABASE_URL: MigrationDatabaseUrlSchema,
  AUTH_DATABASE_SCHEMA: Type.String({ default: 'auth', pattern: '^[a-z_][a-z0-9_]*$', description: 'PostgreSQL schema owned by this service' }),
  DATA_DIR: Type.String({ default: '.data', description: 'Where the embedded default keeps its data' }),
  REDIS_URL: Type.Optional(Type.String({ secret: true, pattern: '^rediss?://', description: 'Redis URL; unset (and no REDIS_SENTINELS or REDIS_CLUSTER_NODES) = revocations and events in process' })),
  ...RedisDeploymentEnv,
  REDIS_PREFIX: Type.String({ default: 'latchkey:', description: 'Prefix of every Redis key and channel' }),
  REDIS_COMMAND_TIMEOUT: RedisCommandTimeoutSchema,
  AUTH_ISSUER: Type.Optional(Type.String({ description: 'iss of access tokens; default the auth base URL' })),
  TOKEN_AUDIENCE: Type.String({ default: 'latchkey', description: 'aud of access tokens' }),
  ACCESS_TOKEN_TTL: Type.Integer({ minimum: 5, maximum: 86400, default: 900, description: 'Access-token lifetime, seconds' }),
  REFRESH_TOKEN_TTL: Type.Integer({ minimum: 60, default: 2592000, description: 'Refresh-token idle lifetime, seconds' }),
  SESSION_MAX_LIFETIME: Type.Integer({ minimum: 60, default: 7776000, description: 'Absolute session lifetime, seconds: no refresh after it, however active (ASVS 7.3.2)' }),
  REFRESH_REUSE_GRACE: Seconds(10, 'Seconds in which a rotated refresh token gets the same successor again'),
  SESSION_RETENTION: Seconds(2592000, 'Seconds an ended session (revoked, expired) is kept before it is deleted'),
  OUTBOX_RETENTION: Seconds(604800, 'Seconds a delivered account event, sent mail or acknowledged stream entry is kept before it is deleted'),
  RETENTION_INTERVAL: Type.Integer({ minimum: 1, default: 3600, description: 'Seconds between two retention runs' }),
  TOKEN_LEEWAY: TokenLeewaySchema,
  REVOCATION_MAX_STALENESS: Type.Integer({ minimum: 1, default: 10, description: 'Seconds the revocation view may go unconfirmed before 503' }),
  PASSWORD_MIN_LENGTH: Type.Integer({ minimum: 8, maximum: 256, default: 12, description: 'Minimum password length' }),
  LOGIN_FAILURES_MAX: Type.Integer({ minimum: 1, default: 5, description: 'Failed log-ins per email and IP before 429' }),
  RATE_LIMIT_IP_MAX: Type.Integer({ minimum: 1, default: 300, description: 'Requests per IP per window on the open POST routes' }),
  RATE_LIMIT_IP_WINDOW: Type.Integer({ minimum: 1, default: 60, description: 'Rate-limit window, seconds' }),
  RATE_LIMIT_IPV6_48_MAX: Type.Optional(Type.Integer({ minimum: 1, description: 'Requests per IPv6 /48 per window on the open POST routes; unset = 10 × RATE_LIMIT_IP_MAX' })),
  TRUST_PROXY: Type.Optional(Type.String({ description: 'Comma-separated addresses/CIDRs of trusted proxies; X-Forwarded-For and X-Request-Id from anyone else are ignored' })),
  CORS_ORIGINS: Type.Optional(Type.String({ description: 'Comma-separated origins allowed by CORS; none by default' })),
  HSTS_MAX_AGE: Type.Integer({ minimum: 0, default: 0, description: 'Strict-Transport-Security max-age in seconds; 0 = no header (set it when served over HTTPS)' }),
  BOOTSTRAP_ADMIN_EMAIL: Type.Optional(Type.String({ minLength: 3 })),
  BOOTSTRAP_ADMIN_PASSWORD: Type.Optional(Type.String({ secret: true, minLength: 8 })),
  SECRETS_KEY: Type.Optional(Type.String({ secret: true, pattern: '^\\s*[A-Za-z0-9+/_-]{43}=?\\s*$', description: 'Key-encryption key of secrets at rest (signing key, refresh-token secret, TOTP secrets): 32 random bytes in base64; required with DATABASE_URL; unset in the embedded default = a key generated in DATA_DIR/secrets.key' })),
  SECRETS_KEY_PREVIOUS: Type.Optional(Type.String({ secret: true, pattern: '^\\s*[A-Za-z0-9+/_-]{43}=?\\s*(,\\s*[A-Za-z0-9+/_-]{43}=?\\s*)*$', description: 'Older key-encryption keys, comma-separated, that secrets at rest may still be sealed under while `latchkey-admin rekey-secrets` re-seals them under SECRETS_KEY; opened, never sealed with; remove once re-keyed' })),
  STEP_UP_MAX_AGE: Type.Integer({ minimum: 0, maximum: 86400, default: 600, description: 'Seconds after a log in with a second factor during which sensitive changes need no fresh code' }),
  MFA_REQUIRED_ROLES: Type.Optional(Type.String({ description: 'Comma-separated roles (e.g. admin) whose accounts must log in with a second factor: without one their tokens only serve to enrol' })),
  MFA_ISSUER: Type.String({ default: 'Latchkey', minLength: 1, maxLength: 64, description: 'Issuer name authenticator apps show beside the account' }),
  KEY_PUBLISH_DELAY: Type.Integer({ minimum: 0, default: 900, description: 'Seconds a rotated-in signing key is published in the JWKS before it signs: longer than the guards\' JWKS refresh (300 s) plus the JWKS\' HTTP max-age (300 s)' }),
  JWT_PRIVATE_KEY: Type.Optional(Type.String({ secret: true, description: 'Ed25519 private key (PKCS#8 PEM); unset = generated and kept in the database, sealed under SECRETS_KEY' })),
  ARGON2_MEMORY_COST: Type.Integer({ minimum: 8192, default: 19456, description: 'argon2id memory, KiB' }),
  ARGON2_TIME_COST: Type.Integer({ minimum: 1, default: 2, description: 'argon2id iterations' }),
  ARGON2_PARALLELISM: Type.Integer({ minimum: 1, default: 1, description: 'argon2id lanes' }),
  PASSWORD_HASH_CONCURRENCY: Type.Optional(Type.Integer({ minimum: 1, description: 'Password hashes computed at once; the rest queue. Default: the cores but one (at least 1), so the event loop keeps a core' })),
  PASSWORD_HASH_NICE: Type.Integer({ minimum: 0, maximum: 19, default: 10, description: 'How much lower the hashing threads\' CPU priority is than the event loop\'s (Linux nice; 0 = the same), so a flood of log-ins cannot slow token checks' }),
  PASSWORD_HASH_QUEUE_MAX: Type.Optional(Type.Integer({ minimum: 0, description: 'Password hashes that may wait; beyond, 503 overloaded at once. Unset = what the measured hash time clears in 2 s' })),
  EMAIL_VERIFICATION: Type.Union([Type.Literal('off'), Type.Literal('optional'), Type.Literal('required')], { default: 'optional', description: 'off, optional (a verification mail at registration) or required (log in needs a verified email)' }),
  EMAIL_VERIFICATION_TTL: Type.Integer({ minimum: 60, default: 86400, description: 'Lifetime of an email verification or email change link, seconds' }),
  PASSWORD_RESET_TTL: Type.Integer({ minimum: 60, maximum: 86400, default: 1800, description: 'Lifetime of a password reset link, seconds' }),
  EMAIL_VERIFICATION_URL: Type.String({ default: 'http://localhost:3000/verify-email#token={token}', pattern: '\\{token\\}', description: 'Link template of verification mails; {token} is replaced' }),
  PASSWORD_RESET_URL: Type.String({ default: 'http://localhost:3000/reset-password#token={token}', pattern: '\\{token\\}', description: 'Link template of password reset mails; {token} is replaced' }),
  SMTP_URL: Type.Optional(Type.String({ secret: true, pattern: '^smtps?://', description: 'smtp:// or smtps:// URL of the mail server; unset = each mail written as an .eml file under DATA_DIR/mail (development only)' })),
  MAIL_FROM: Type.String({ default: 'Latchkey <no-reply@localhost>', description: 'From address of every mail' }),
  MAIL_MAX_ATTEMPTS: Type.Integer({ minimum: 1, maximum: 100, default: 8, description: 'Delivery attempts of a mail before it is dead-lettered' }),
  MAIL_RETRY_DELAY: Type.Number({ minimum: 0.01, maximum: 3600, default: 5, description: 'First retry delay of a failed mail, seconds; doubles at each attempt (capped at 1 hour)' }),
  MAIL_TEMPLATES_DIR: Type.Optional(Type.String({ description: 'Directory of operator mail templates (<kind>.subject, <kind>.txt, <kind>.html) overriding the built-in ones' })),
  LOG_LEVEL: Type.Union(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map(level => Type.Literal(level)), { default: 'info' })
})

function isEd25519PrivateKey (pem: string): boolean {
  try {
    return createPrivateKey(pem).asymmetricKeyType === 'ed25519'
  } catch {
    return false
  }
}

export type AuthConfig = Static<typeof AuthConfigSchema> & { AUTH_ISSUER: string, DOCS_ENABLED: boolean, PASSWORD_HASH_CONCURRENCY: number }

export function loadAuthConfig (env: Record<string, string | undefined> = process.env): AuthConfig {
  const config = parseEnv(AuthConfigSchema, env)
  const issuer = config.AUTH_ISSUER ?? `http://${config.HOST}:${config.AUTH_PORT}`
  const problems: string[] = redisDeploymentProblems(config)
  // Password reset is always offered, so production needs a real mail server and real links.
  if (config.NODE_ENV === 'production') {
    const missing = ['PASSWORD_RESET_URL', 'EMAIL_VERIFICATION_URL'].filter(name => env[name] === undefined || env[name] === '')
    if (config.SMTP_URL === undefined) missing.unshift('SMTP_URL')
    problems.push(...missing.map(name => `${name}: required when NODE_ENV=production (mails carry recovery links)`))
  }
  // Outside the embedded default nothing may fall back to keeping the signing key, the refresh-token
  // secret or TOTP secrets in clear in a database others may read or back up.
  if (config.DATABASE_URL !== undefined && config.SECRETS_KEY === undefined) {
    problems.push('SECRETS_KEY or SECRETS_KEY_FILE: required with DATABASE_URL (the key-encryption key of the signing key, the refresh-token secret and TOTP secrets); generate one with `openssl rand -base64 32`')
  }
  if (config.SECRETS_KEY_PREVIOUS !== undefined && config.SECRETS_KEY === undefined) {
    problems.push('SECRETS_KEY_PREVIOUS: only with SECRETS_KEY (or SECRETS_KEY_FILE), the new key everything is sealed under')
  }
  if (config.JWT_PRIVATE_KEY !== undefined && !isEd25519PrivateKey(config.JWT_PRIVATE_KEY)) {
    problems.push('JWT_PRIVATE_KEY: must be an Ed25519 private key in PKCS#8 PEM (the value is not shown)')
  }
  if (problems.length > 0) throw new ConfigError(problems)
  // The API's description helps an attacker as much as a developer: production opts in (ASVS 13.4.5).
  const docsEnabled = config.DOCS_ENABLED ?? config.NODE_ENV !== 'production'
  // Not a schema default: a core count would make the schema, and the documented default beside
  // it, differ from machine to machine.
  const hashConcurrency = config.PASSWORD_HASH_CONCURRENCY ?? Math.max(1, availableParallelism() - 1)
  return Object.freeze({ ...config, AUTH_ISSUER: issuer, DOCS_ENABLED: docsEnabled, PASSWORD_HASH_CONCURRENCY: hashConcurrency })
}
