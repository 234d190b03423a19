#!/usr/bin/env node
/**
 * Process entry of the users service alone (docker-compose, `pnpm --filter @latchkey/users start`):
 * configuration, connections, app, graceful close. Requires DATABASE_URL and Redis (REDIS_URL,
 * REDIS_SENTINELS or REDIS_CLUSTER_NODES); the embedded default is the one-process launcher's job.
 */
import closeWithGrace from 'close-with-grace'
import { ConfigError } from '@latchkey/contracts'
import { processLog } from '@latchkey/fastify-problem'
import { listenForMetrics, type MetricsListener } from '@latchkey/fastify-metrics'
import { loadUsersConfig } from './config.js'
import { buildUsersApp } from './app.js'
import { openUsersRuntime } from './runtime.js'

let config
try {
  config = loadUsersConfig()
} catch (error) {
  if (!(error instanceof ConfigError)) throw error
  process.stderr.write(`${error.message}\n`)
  process.exit(1)
}

const log = processLog('users')
let runtime
try {
  runtime = await openUsersRuntime(config, log)
} catch (error) {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`)
  process.exit(1)
}
const app = await buildUsersApp(config, runtime.deps)
// The key source is only a first fetch here: if the auth service is not up yet, it keeps trying.
runtime.deps.keySource.ready().catch((err: unknown) => { app.log.warn({ err }, 'auth service JWKS not reachable yet') })

let metrics: MetricsListener | undefined
closeWithGrace({ delay: 10_000 }, async ({ signal, err }) => {
  if (err !== undefined) app.log.error({ err }, 'closing after an error')
  else app.log.info({ signal }, 'closing')
  // Stop accepting and finish in-flight requests (the app stops its consumer), then the connections.
  await app.close()
  await metrics?.close()
  await runtime.close()
})

await app.listen({ port: config.USERS_PORT, host: config.HOST })
// Off the API port: only what can reach METRICS_HOST can scrape it.
try {
  metrics = await listenForMetrics([app], { host: config.METRICS_HOST, port: config.METRICS_PORT })
  app.log.info({ url: metrics.url }, 'metrics listening')
} catch (error) {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`)
  await app.close()
  await runtime.close()
  process.exit(1)
}
