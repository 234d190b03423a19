/**
 * Runs the built services as real processes (`node services/<name>/dist/src/server.js`), the way
 * a container runs them, against this machine's PostgreSQL and Redis: schemas, Redis prefix and
 * ports of their own, all removed in teardown.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { randomBytes, randomUUID } from 'node:crypto'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Test } from 'tap'
import { Redis } from 'ioredis'
import { closePostgres, connectPostgres } from '@latchkey/postgres-kit'
import { freePort, testDatabaseFor, testDatabaseUrl, testRedisUrl, type TestDatabase } from '@latchkey/test-support'
import { until } from './helper.js'

export { freePort }

export const repositoryRoot = fileURLToPath(new URL('../../../', import.meta.url))

export function entryOf (service: 'auth' | 'users', file = 'server.js'): string {
  return join(repositoryRoot, 'services', service, 'dist', 'src', file)
}

export interface Isolation {
  /** DATABASE_URL is PostgreSQL itself (for the test's own queries); the services get `databases`. */
  env: { DATABASE_URL: string, REDIS_URL: string, SECRETS_KEY: string, AUTH_DATABASE_SCHEMA: string, USERS_DATABASE_SCHEMA: string, REDIS_PREFIX: string }
  /** How each service reaches its schema (through PgBouncer with LATCHKEY_TEST_POSTGRES=pgbouncer). */
  databases: { auth: TestDatabase, users: TestDatabase }
  redis: Redis
}

/**
 * Connection settings unique to this test (schemas and Redis prefix), cleaned up in teardown.
 * These tests are about Redis deployments: mark them `{ skip: await skipWithoutRedis() }`.
 */
export async function isolate (t: Test): Promise<Isolation> {
  const redisUrl = await testRedisUrl()
  if (redisUrl === undefined) throw new Error('needs a real Redis (set REDIS_URL)')
  const databaseUrl = await testDatabaseUrl()
  const suffix = randomBytes(5).toString('hex')
  const env = {
    DATABASE_URL: databaseUrl,
    REDIS_URL: redisUrl,
    SECRETS_KEY: randomBytes(32).toString('base64'),
    AUTH_DATABASE_SCHEMA: `auth_p_${suffix}`,
    USERS_DATABASE_SCHEMA: `users_p_${suffix}`,
    REDIS_PREFIX: `test:${randomUUID()}:`
  }
  const databases = { auth: await testDatabaseFor(env.AUTH_DATABASE_SCHEMA), users: await testDatabaseFor(env.USERS_DATABASE_SCHEMA) }
  const redis = new Redis(redisUrl, { lazyConnect: true })
  t.teardown(async () => {
    await databases.auth.release()
    await databases.users.release()
    const sql = connectPostgres({ url: databaseUrl, schema: 'public', max: 1 })
    await sql`DROP SCHEMA IF EXISTS ${sql(env.AUTH_DATABASE_SCHEMA)} CASCADE`
    await sql`DROP SCHEMA IF EXISTS ${sql(env.USERS_DATABASE_SCHEMA)} CASCADE`
    await closePostgres(sql)
    // Only this test's keys: never flush a shared Redis.
    let cursor = '0'
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${env.REDIS_PREFIX}*`, 'COUNT', 500)
      if (keys.length > 0) await redis.del(...keys)
      cursor = next
    } while (cursor !== '0')
    redis.disconnect()
  })
  return { env, databases, redis }
}

export interface ServiceProcess {
  url: string
  port: number
  child: ChildProcess
  /** Everything it wrote so far (stdout and stderr), for failure messages. */
  output (): string
  /** Resolves when the process exits. */
  exited: Promise<{ code: number | null, signal: NodeJS.Signals | null }>
  /** Sends the signal and waits for the exit; milliseconds from signal to exit. */
  stop (signal?: NodeJS.Signals): Promise<{ code: number | null, signal: NodeJS.Signals | null, ms: number }>
}

/** Spawns a script with env, waits for its `readyPath` (default /health/ready) to answer 200. */
export async function spawnService (t: Test, script: string, env: Record<string, string>, options: { port: number, readyPath?: string, timeoutMs?: number }): Promise<ServiceProcess> {
  const child = spawn(process.execPath, [script], {
    env: { PATH: process.env.PATH ?? '', NODE_ENV: 'production', HOST: '127.0.0.1', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let output = ''
  child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString() })
  child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString() })
  const exited = new Promise<{ code: number | null, signal: NodeJS.Signals | null }>(resolve => {
    child.once('exit', (code, signal) => { resolve({ code, signal }) })
  })
  let running = true
  void exited.then(() => { running = false })
  t.teardown(async () => {
    if (running) {
      child.kill('SIGKILL')
      await exited
    }
  })

  const url = `http://127.0.0.1:${options.port}`
  // Start-up is not what is tested: it runs migrations under an advisory lock and times a password
  // hash, and two replicas started at once on a loaded machine (CI runs two packages' suites at a
  // time) were seen to need more than 20 s.
  const deadline = Date.now() + (options.timeoutMs ?? 60_000)
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${script} exited before it was ready:\n${output}`)
    const status = await fetch(url + (options.readyPath ?? '/health/ready')).then(response => response.status, () => 0)
    if (status === 200) break
    if (Date.now() > deadline) throw new Error(`${script} not ready within its deadline (last status ${status}):\n${output}`)
    await new Promise(resolve => setTimeout(resolve, 50))
  }

  return {
    url,
    port: options.port,
    child,
    output: () => output,
    exited,
    async stop (signal: NodeJS.Signals = 'SIGTERM') {
      const started = performance.now()
      child.kill(signal)
      const result = await exited
      return { ...result, ms: performance.now() - started }
    }
  }
}

/** The service's database settings, unless the test routes it to a database of its own. */
function databaseEnv (database: TestDatabase, extra: Record<string, string>): Record<string, string> {
  return extra.DATABASE_URL === undefined ? database.env : {}
}

/** Auth environment for a spawned auth service on `port`, sharing `isolation`'s database and Redis. */
export function authEnv (isolation: Isolation, port: number, extra: Record<string, string> = {}): Record<string, string> {
  const { USERS_DATABASE_SCHEMA: _users, ...env } = isolation.env
  // METRICS_PORT 0: many processes of these tests run at once, and the default port is one per host.
  return { ...env, ...databaseEnv(isolation.databases.auth, extra), AUTH_PORT: String(port), METRICS_PORT: '0', AUTH_ISSUER: 'http://auth.latchkey.test', ...productionMail, ...extra }
}

/**
 * What NODE_ENV=production requires of mail. These processes are not about mail: none is sent at
 * registration, and a reset mail would be queued and retried against a port nobody listens on.
 */
const productionMail = {
  EMAIL_VERIFICATION: 'off',
  SMTP_URL: 'smtp://127.0.0.1:9',
  PASSWORD_RESET_URL: 'http://app.latchkey.test/reset#token={token}',
  EMAIL_VERIFICATION_URL: 'http://app.latchkey.test/verify#token={token}'
}

/** Users environment for a spawned users service on `port`, trusting the auth service at `authUrl`. */
export function usersEnv (isolation: Isolation, port: number, authUrl: string, extra: Record<string, string> = {}): Record<string, string> {
  const { AUTH_DATABASE_SCHEMA: _auth, ...env } = isolation.env
  return {
    ...env,
    ...databaseEnv(isolation.databases.users, extra),
    USERS_PORT: String(port),
    METRICS_PORT: '0',
    AUTH_ISSUER: 'http://auth.latchkey.test',
    AUTH_JWKS_URL: `${authUrl}/.well-known/jwks.json`,
    ...extra
  }
}

export async function call (url: string, method: string, options: { token?: string, body?: unknown } = {}): Promise<{ status: number, body: Record<string, unknown> }> {
  const headers: Record<string, string> = {}
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`
  if (options.body !== undefined) headers['content-type'] = 'application/json'
  const response = await fetch(url, { method, headers, ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }) })
  const text = await response.text()
  return { status: response.status, body: text === '' ? {} : JSON.parse(text) as Record<string, unknown> }
}

/** The nginx binary, installing Debian's nginx-light when there is none; a reason when it cannot be had. */
export function findNginx (): { binary: string } | { missing: string } {
  const which = (): string | undefined => {
    const found = spawnSync('sh', ['-c', 'command -v nginx || ls /usr/sbin/nginx 2>/dev/null'], { encoding: 'utf8' }).stdout.trim().split('\n')[0]
    return found === undefined || found === '' ? undefined : found
  }
  const present = which()
  if (present !== undefined) return { binary: present }
  if (process.getuid?.() !== 0) return { missing: 'nginx is not installed and this user cannot apt-get install it' }
  const install = spawnSync('apt-get', ['install', '-y', '-q', 'nginx-light'], { encoding: 'utf8', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }, timeout: 120_000 })
  const installed = which()
  return installed !== undefined ? { binary: installed } : { missing: `apt-get install nginx-light failed: ${install.stderr.slice(-500)}` }
}

/** Runs a script with only PATH and `env` in its environment; its exit code and everything it wrote. */
export async function runScript (command: string, env: Record<string, string>): Promise<{ code: number | null, output: string }> {
  return await new Promise((resolve, reject) => {
    const child = spawn(command, { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString() })
    child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString() })
    child.once('error', reject)
    child.once('exit', code => { resolve({ code, output }) })
  })
}

/** Sentinel or Cluster mode: REDIS_URL must not be set beside REDIS_SENTINELS or REDIS_CLUSTER_NODES. */
export function withoutUrl (env: Record<string, string>): Record<string, string> {
  const { REDIS_URL: _url, ...rest } = env
  return rest
}

/**
 * Whether the redis-server `child` started on `port` answers PING within 5 s: false once it exits
 * (a config it refused) or the time is up. The caller reports why, with the output it collected.
 */
export async function redisServerAnswers (child: ChildProcess, port: number, password?: string): Promise<boolean> {
  const probe = new Redis({ port, host: '127.0.0.1', ...(password === undefined ? {} : { password }), lazyConnect: true, enableReadyCheck: false, maxRetriesPerRequest: 0, retryStrategy: () => null })
  probe.on('error', () => {})
  const ready = await until(async () => {
    if (child.exitCode !== null) return true
    try {
      await probe.connect()
      await probe.ping()
      return true
    } catch {
      probe.disconnect()
      return false
    }
  }, 5000)
  probe.disconnect()
  return child.exitCode === null && ready !== Infinity
}
