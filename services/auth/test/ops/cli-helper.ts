/**
 * latchkey-admin (the auth CLI) run as a real process on the database and Redis of a running
 * replica of the service (built by `build`): what the CLI changes must reach that replica the way
 * an HTTP admin change would (revocation feed, outbox). The replica's schema goes in build's
 * teardown, the Redis keys under its prefix in this one's. Needs a real Redis: mark the test
 * `{ skip: await skipWithoutRedis() }`.
 */
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { Test } from 'tap'
import { Redis } from 'ioredis'
import { testRedisUrl } from '@latchkey/test-support'
import { build, type TestAuth } from '../helper.js'

const cli = fileURLToPath(new URL('../../src/cli.js', import.meta.url))

export interface CliResult { code: number | null, stdout: string, stderr: string }

const server = fileURLToPath(new URL('../../src/server.js', import.meta.url))

/** Starts the real `latchkey-auth` entry with exactly `env` (and PATH) and resolves when it exits: for start-ups that must refuse. */
export async function startServer (env: Record<string, string>): Promise<CliResult> {
  return await new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [server], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString() })
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
    // A server that started anyway would never exit by itself: stop it, and the exit code says so.
    const stop = setTimeout(() => { child.kill('SIGKILL') }, 30_000)
    child.once('error', reject)
    child.once('exit', code => { clearTimeout(stop); resolve({ code, stdout, stderr }) })
  })
}

export interface AuthWithCli extends TestAuth {
  /** Runs latchkey-admin with `args`, `stdin` written to it, and resolves when it exits. */
  admin: (args: string[], stdin?: string, env?: Record<string, string>) => Promise<CliResult>
}

/** `env` configures both the replica and the CLI (e.g. SMTP_URL). */
export async function buildWithCli (t: Test, env: Record<string, string> = {}): Promise<AuthWithCli> {
  const redisUrl = await testRedisUrl() ?? ''
  const auth = await build(t, { env })
  t.teardown(async () => {
    const redis = new Redis(redisUrl)
    const keys = await redis.keys(`${auth.prefix}*`)
    if (keys.length > 0) await redis.del(...keys)
    redis.disconnect()
  })

  async function admin (args: string[], stdin = '', extraEnv: Record<string, string> = {}): Promise<CliResult> {
    return await new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [cli, ...args], {
        env: {
          PATH: process.env.PATH ?? '',
          ...auth.database.env,
          REDIS_URL: redisUrl,
          AUTH_DATABASE_SCHEMA: auth.schema,
          REDIS_PREFIX: auth.prefix,
          AUTH_ISSUER: 'http://auth.test',
          LOG_LEVEL: 'warn',
          // The service's key-encryption key: the CLI opens the same sealed secrets as the service.
          SECRETS_KEY: auth.config.SECRETS_KEY ?? '',
          ...env,
          ...extraEnv
        },
        stdio: ['pipe', 'pipe', 'pipe']
      })
      let stdout = ''
      let stderr = ''
      child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString() })
      child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
      child.once('error', reject)
      child.once('exit', code => { resolve({ code, stdout, stderr }) })
      child.stdin.end(stdin)
    })
  }
  return { ...auth, admin }
}
