/**
 * Starts the whole stack (both services, real HTTP) against this machine's PostgreSQL and Redis,
 * with schemas, Redis prefix and ports of its own, and talks to it over fetch like a client.
 */
import { randomBytes, randomUUID } from 'node:crypto'
import type { Test } from 'tap'
import { closePostgres, connectPostgres } from '@latchkey/postgres-kit'
import { freePort, testDatabaseUrl, testRedisUrl } from '@latchkey/test-support'
import type { Account, Problem, TokenPair } from '@latchkey/contracts'
import { startStack, type Stack } from '@latchkey/launcher'

const quiet = { info: () => {}, warn: () => {} }

export const password = 'correct horse battery staple'
export const adminEmail = 'admin@latchkey.test'

export interface Client {
  stack: Stack
  auth: string
  users: string
  /** `T` is the answer's shape as the contract says (a TokenPair, an Account, a Problem …). */
  call<T = Problem> (base: string, method: string, path: string, options?: { token?: string, body?: unknown, headers?: Record<string, string> }): Promise<{ status: number, body: T, headers: Headers }>
}

export async function startTestStack (t: Test, env: Record<string, string> = {}): Promise<Client> {
  const suffix = randomBytes(5).toString('hex')
  const [authPort, usersPort] = [await freePort(), await freePort()]
  const redisUrl = await testRedisUrl()
  const databaseUrl = await testDatabaseUrl()
  const stack = await startStack({
    DATABASE_URL: databaseUrl,
    BOOTSTRAP_ADMIN_EMAIL: adminEmail,
    BOOTSTRAP_ADMIN_PASSWORD: password,
    ...(redisUrl === undefined ? {} : { REDIS_URL: redisUrl }),
    REDIS_PREFIX: `test:${randomUUID()}:`,
    AUTH_DATABASE_SCHEMA: `auth_s_${suffix}`,
    USERS_DATABASE_SCHEMA: `users_s_${suffix}`,
    AUTH_PORT: String(authPort),
    USERS_PORT: String(usersPort),
    LOG_LEVEL: 'silent',
    ...env
  }, quiet, { logger: false })
  const auth = `http://127.0.0.1:${authPort}`
  const users = `http://127.0.0.1:${usersPort}`
  t.teardown(async () => {
    await stack.close()
    const sql = connectPostgres({ url: databaseUrl, schema: 'public', max: 1 })
    await sql`DROP SCHEMA IF EXISTS ${sql(`auth_s_${suffix}`)} CASCADE`
    await sql`DROP SCHEMA IF EXISTS ${sql(`users_s_${suffix}`)} CASCADE`
    await closePostgres(sql)
  })
  return {
    stack,
    auth,
    users,
    async call (base, method, path, options = {}) {
      const headers: Record<string, string> = { ...options.headers }
      if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`
      if (options.body !== undefined) headers['content-type'] = 'application/json'
      const response = await fetch(base + path, { method, headers, ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }) })
      const text = await response.text()
      return { status: response.status, body: text === '' ? undefined : JSON.parse(text), headers: response.headers }
    }
  }
}

export async function signUp (client: Client, name = 'Grace Hopper'): Promise<{ id: string, email: string, accessToken: string, refreshToken: string }> {
  const email = `u-${randomUUID()}@example.test`
  const created = await client.call<Account>(client.auth, 'POST', '/accounts', { body: { email, password, name } })
  if (created.status !== 201) throw new Error(`register: ${created.status}`)
  const session = await client.call<TokenPair>(client.auth, 'POST', '/sessions', { body: { email, password } })
  if (session.status !== 201) throw new Error(`login: ${session.status}`)
  return { id: created.body.id, email, accessToken: session.body.accessToken, refreshToken: session.body.refreshToken }
}

export async function until (check: () => Promise<boolean>, timeoutMs: number): Promise<number> {
  const started = performance.now()
  while (performance.now() - started < timeoutMs) {
    if (await check()) return performance.now() - started
    await new Promise(resolve => setTimeout(resolve, 5))
  }
  return await check() ? performance.now() - started : Infinity
}
