#!/usr/bin/env node
/**
 * Process entry of the auth service alone: configuration, connections, app, graceful close.
 */
import closeWithGrace from 'close-with-grace'
import { ConfigError } from '@latchkey/contracts'
import { processLog } from '@latchkey/fastify-problem'
import { listenForMetrics, type MetricsListener } from '@latchkey/fastify-metrics'
import { loadAuthConfig } from './config.js'
import { buildAuthApp } from './app.js'
import { openAuthRuntime } from './runtime.js'

let config
try {
  config = loadAuthConfig()
} catch (error) {
  if (!(error instanceof ConfigError)) throw error
  process.stderr.write(`${error.message}\n`)
  process.exit(1)
}

const runtime = await openAuthRuntime(config, processLog('auth'))
let app
try {
  app = await buildAuthApp(config, runtime.deps)
} catch (error) {
  // A start-up check on the data (secrets sealed under a key this replica lacks): say so, then stop.
  if (!(error instanceof ConfigError)) throw error
  process.stderr.write(`${error.message}\n`)
  await runtime.close()
  process.exit(1)
}

let metrics: MetricsListener | undefined
closeWithGrace({ delay: 10_000 }, async ({ signal, err }) => {
  if (err !== undefined) app.log.error({ err }, 'closing after an error')
  else app.log.info({ signal }, 'closing')
  await app.close()
  await metrics?.close()
  await runtime.close()
})

try {
  await app.listen({ port: config.AUTH_PORT, host: config.HOST })
} catch (error) {
  // A start-up check on the data (the bootstrap admin) failed: say which variable, then stop.
  if (!(error instanceof ConfigError)) throw error
  process.stderr.write(`${error.message}\n`)
  await app.close()
  await runtime.close()
  process.exit(1)
}
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
