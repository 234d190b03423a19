/**
 * The one way tests start a whole stack: both services in this process through the launcher
 * (real HTTP on free ports), against this machine's PostgreSQL and Redis, with schemas and a Redis
 * prefix of their own, dropped in teardown. e2e's tests use it, and so do the client's, which are
 * tested against both real services: it lives here, not in @latchkey/test-support, because it
 * composes the services, which no package may import.
 */
import { randomBytes, randomUUID } from 'node:crypto'
import type { Test } from 'tap'
import { startStack, type Stack } from '@latchkey/launcher'
import { closePostgres, connectPostgres } from '@latchkey/postgres-kit'
import { freePort, testDatabaseUrl, testRedisUrl } from '@latchkey/test-support'
import type { Problem } from '@latchkey/contracts'

export const password = 'correct horse battery staple'
/** The bootstrap administrator of every test stack (its password is `password`). */
export const adminEmail = 'admin@latchkey.test'

export interface TestStack {
  stack: Stack
  /** Base URLs of the two services. */
  auth: string
  users: string
  /** `T` is the answer's shape as the contract says (a TokenPair, an Account, a Problem …). */
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- the caller names the contract's shape of the parsed answer
  call<T = Problem> (base: string, method: string, path: string, options?: { token?: string, body?: unknown, headers?: Record<string, string> }): Promise<{ status: number, body: T, headers: Headers }>
}

/**
 * `env` overrides the stack's settings, `options.usersEnv` the users service's alone; `schemaTag`
 * goes into the schema names (`auth_<tag>_<random>`), so a leftover schema tells which suite left it.
 */
export async function startTestStack (t: Test, env: Record<string, string> = {}, schemaTag = 's', options: { usersEnv?: Record<string, string> } = {}): Promise<TestStack> {
  const suffix = `${schemaTag}_${randomBytes(5).toString('hex')}`
  const [authPort, usersPort] = [await freePort(), await freePort()]
  const redisUrl = await testRedisUrl()
  const databaseUrl = await testDatabaseUrl()
  // Registered first, so the schemas go even when the stack fails half-way through starting.
  const started: { stack?: Stack } = {}
  t.teardown(async () => {
    await started.stack?.close()
    const sql = connectPostgres({ url: databaseUrl, schema: 'public', max: 1 })
    await sql`DROP SCHEMA IF EXISTS ${sql(`auth_${suffix}`)} CASCADE`
    await sql`DROP SCHEMA IF EXISTS ${sql(`users_${suffix}`)} CASCADE`
    await closePostgres(sql)
  })
  const stack = started.stack = await startStack({
    DATABASE_URL: databaseUrl,
    SECRETS_KEY: randomBytes(32).toString('base64'),
    BOOTSTRAP_ADMIN_EMAIL: adminEmail,
    BOOTSTRAP_ADMIN_PASSWORD: password,
    ...(redisUrl === undefined ? {} : { REDIS_URL: redisUrl }),
    REDIS_PREFIX: `test:${randomUUID()}:`,
    AUTH_DATABASE_SCHEMA: `auth_${suffix}`,
    USERS_DATABASE_SCHEMA: `users_${suffix}`,
    AUTH_PORT: String(authPort),
    USERS_PORT: String(usersPort),
    METRICS_PORT: '0',
    LOG_LEVEL: 'silent',
    ...env
  }, { info: () => {}, warn: () => {} }, { logger: false, ...options })
  return {
    stack,
    auth: `http://127.0.0.1:${authPort}`,
    users: `http://127.0.0.1:${usersPort}`,
    async call (base, method, path, options = {}) {
      const headers: Record<string, string> = { ...options.headers }
      if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`
      if (options.body !== undefined) headers['content-type'] = 'application/json'
      const response = await fetch(base + path, { method, headers, ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }) })
      const text = await response.text()
      const body: unknown = text === '' ? undefined : JSON.parse(text)
      return { status: response.status, body: body as never, headers: response.headers }
    }
  }
}
