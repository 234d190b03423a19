#!/usr/bin/env node
/**
 * `pnpm start`: the auth service (AUTH_PORT, default 3001) and the users service (USERS_PORT,
 * default 3002) in this process, their metrics on METRICS_PORT (default 9464), closed gracefully on
 * SIGINT/SIGTERM.
 */
import closeWithGrace from 'close-with-grace'
import { ConfigError } from '@latchkey/contracts'
import { processLog } from '@latchkey/fastify-problem'
import { startStack } from './stack.js'

const log = processLog('launcher')

try {
  const stack = await startStack(process.env, log)
  log.info({ auth: `http://${stack.authConfig.HOST}:${stack.authConfig.AUTH_PORT}`, users: `http://${stack.usersConfig.HOST}:${stack.usersConfig.USERS_PORT}`, metrics: stack.metrics.url }, 'latchkey is up')
  closeWithGrace({ delay: 10_000 }, async ({ signal, err }) => {
    if (err !== undefined) log.warn({ err: String(err) }, 'closing after an error')
    else log.info({ signal }, 'closing')
    await stack.close()
  })
} catch (error) {
  // A bad setting or a port already taken is the operator's to fix: one line, no stack trace.
  if (error instanceof ConfigError || (error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
    process.stderr.write(`latchkey could not start: ${(error as Error).message}\n`)
    process.exit(1)
  }
  throw error
}
