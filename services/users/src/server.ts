/**
 * Process entry of the standalone users service (docker-compose, `pnpm --filter @latchkey/users
 * start`): load config → connect its own dependencies → build the app → close-with-grace → listen.
 * Requires DATABASE_URL and REDIS_URL; the embedded default is the one-process launcher's job.
 */
import { hostname } from 'node:os'
import { randomUUID } from 'node:crypto'
import closeWithGrace from 'close-with-grace'
import { createRedisAccountEventConsumer } from '@latchkey/account-events'
import { createRedisRevocationFeed, createRemoteKeySource } from '@latchkey/fastify-jwt-guard'
import { processLog } from '@latchkey/fastify-problem'
import { loadUsersConfig } from './config.js'
import { connectPostgres } from '@latchkey/postgres-kit'
import { buildUsersApp } from './app.js'

const config = loadUsersConfig(process.env)
if (config.databaseUrl === undefined || config.redisUrl === undefined) {
  console.error('the standalone users service needs DATABASE_URL and REDIS_URL (run `pnpm start` for the embedded default)')
  process.exit(1)
}

const sql = connectPostgres({ url: config.databaseUrl, schema: config.databaseSchema })
const revocationFeed = createRedisRevocationFeed({ url: config.redisUrl, prefix: config.redisPrefix, commandTimeoutMs: config.redisCommandTimeoutMs })
const keySource = createRemoteKeySource({ url: config.authJwksUrl, refetchIntervalMs: config.jwksRefetchIntervalMs })
const app = await buildUsersApp(config, {
  sql,
  revocationFeed,
  keySource,
  accountEvents: createRedisAccountEventConsumer({
    url: config.redisUrl,
    prefix: config.redisPrefix,
    commandTimeoutMs: config.redisCommandTimeoutMs,
    group: 'users',
    consumer: `users-${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`,
    log: processLog('users')
  })
})
// The key source is only a first fetch here: if the auth service is not up yet, it keeps trying.
keySource.ready().catch((err: unknown) => { app.log.warn({ err }, 'auth service JWKS not reachable yet') })

closeWithGrace({ delay: 10_000 }, async ({ signal, err }) => {
  if (err !== undefined) app.log.error({ err }, 'closing after an unexpected error')
  else app.log.info({ signal }, 'closing')
  // Stop accepting and finish in-flight requests (the app stops its consumer), then the pools.
  await app.close()
  await revocationFeed.close()
  await sql.end({ timeout: 5 })
})

await app.listen({ port: config.port, host: config.host })
