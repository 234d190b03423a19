/**
 * Both services in one process. Without REDIS_URL, revocations and account events travel in
 * process between them (which is only valid because they share this process); without
 * DATABASE_URL, both run on one embedded PostgreSQL, each in its own schema.
 */
import { hostname } from 'node:os'
import { randomUUID } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { buildAuthApp, loadAuthConfig, openAuthRuntime, type AuthConfig, type BootLog } from '@latchkey/auth'
import { buildUsersApp, loadUsersConfig, type UsersConfig } from '@latchkey/users'
import { createRedisAccountEventConsumer, type AccountEventConsumer } from '@latchkey/account-events'
import { createRedisRevocationFeed, createRemoteKeySource, type RevocationFeed } from '@latchkey/fastify-jwt-guard'
import { closePostgres, connectPostgres } from '@latchkey/postgres-kit'

export interface Stack {
  auth: FastifyInstance
  users: FastifyInstance
  authConfig: AuthConfig
  usersConfig: Readonly<UsersConfig>
  close (): Promise<void>
}

export async function startStack (env: Record<string, string | undefined>, log: BootLog, options: { logger?: boolean } = {}): Promise<Stack> {
  const authConfig = loadAuthConfig(env)
  // The users service checks tokens of this auth service; it fetches the JWKS over loopback even
  // when AUTH_ISSUER names a public URL.
  const usersConfig = loadUsersConfig({
    ...env,
    AUTH_ISSUER: authConfig.AUTH_ISSUER,
    AUTH_JWKS_URL: env.AUTH_JWKS_URL ?? `http://127.0.0.1:${authConfig.AUTH_PORT}/.well-known/jwks.json`
  })

  const runtime = await openAuthRuntime(authConfig, log)
  const loggerOption = options.logger === false ? { logger: false as const } : {}
  const auth = await buildAuthApp(authConfig, runtime.deps, loggerOption)
  await auth.listen({ port: authConfig.AUTH_PORT, host: authConfig.HOST })

  const usersSql = connectPostgres({ url: runtime.databaseUrl, schema: usersConfig.databaseSchema })
  const redisUrl = authConfig.REDIS_URL
  const revocationFeed: RevocationFeed = redisUrl === undefined
    ? runtime.deps.revocationFeed
    : createRedisRevocationFeed({ url: redisUrl, prefix: authConfig.REDIS_PREFIX, commandTimeoutMs: usersConfig.redisCommandTimeoutMs })
  const accountEvents: AccountEventConsumer = runtime.inProcessEvents ?? createRedisAccountEventConsumer({
    url: redisUrl ?? '',
    prefix: authConfig.REDIS_PREFIX,
    commandTimeoutMs: usersConfig.redisCommandTimeoutMs,
    group: 'users',
    consumer: `users-${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`
  })
  const keySource = createRemoteKeySource({ url: usersConfig.authJwksUrl, refetchIntervalMs: usersConfig.jwksRefetchIntervalMs })
  await keySource.ready()
  const users = await buildUsersApp(usersConfig, { sql: usersSql, revocationFeed, keySource, accountEvents }, loggerOption)
  await users.listen({ port: usersConfig.port, host: usersConfig.host })

  return {
    auth,
    users,
    authConfig,
    usersConfig,
    async close () {
      await users.close()
      keySource.close()
      if (revocationFeed !== runtime.deps.revocationFeed) await revocationFeed.close()
      await closePostgres(usersSql)
      await auth.close()
      await runtime.close()
    }
  }
}
