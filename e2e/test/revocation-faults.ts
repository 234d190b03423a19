/**
 * The pieces of the revocation fault tests: an auth service and a users service built in this
 * process on their own schemas and key prefix, each with a Redis URL of its own (so a test can cut
 * one service's Redis through a proxy), and an oracle for "the guard let this token through".
 */
import { randomBytes, randomUUID } from 'node:crypto'
import type { Test } from 'tap'
import type { FastifyInstance } from 'fastify'
import type { Jwks, TokenPair } from '@latchkey/contracts'
import { buildAuthApp, loadAuthConfig, openAuthRuntime } from '@latchkey/auth'
import { buildUsersApp, loadUsersConfig } from '@latchkey/users'
import { createInProcessAccountEvents } from '@latchkey/account-events'
import { createRedisRevocationFeed, createStaticKeySource } from '@latchkey/fastify-jwt-guard'
import { closePostgres, connectPostgres, migrationsDirectoryOf, openServiceDatabase } from '@latchkey/postgres-kit'
import { testDatabaseFor, testDatabaseUrl } from '@latchkey/test-support'

/** Seconds both services allow between heartbeats before they answer 503. */
export const MAX_STALENESS = 2
const ISSUER = 'http://auth.test'
const quiet = { info: () => {}, warn: () => {} }

export interface Service {
  app: FastifyInstance
  close (): Promise<void>
}

export interface FaultWorld {
  /** Starts an auth service on this world's schema, reaching Redis at redisUrl. */
  startAuth (redisUrl: string): Promise<Service>
  /** Starts a users service (its guard only matters here) reaching Redis at redisUrl; needs an auth service started before. */
  startUsers (redisUrl: string): Promise<Service>
  /** A registered, logged-in account. */
  signUp (auth: Service): Promise<TokenPair>
}

const usersMigrations = migrationsDirectoryOf(import.meta.resolve('@latchkey/users'))

export async function faultWorld (t: Test): Promise<FaultWorld> {
  const suffix = randomBytes(5).toString('hex')
  const databaseUrl = await testDatabaseUrl()
  const prefix = `test:${randomUUID()}:`
  // One key-encryption key for every start of the auth service in this test: a restart opens what the last one sealed.
  const secretsKey = randomBytes(32).toString('base64')
  const authSchema = `auth_f_${suffix}`
  const usersSchema = `users_f_${suffix}`
  const closers: Array<() => Promise<void>> = []
  let jwks: Jwks | undefined
  const authDatabase = await testDatabaseFor(authSchema)
  const usersDatabase = await testDatabaseFor(usersSchema)

  t.teardown(async () => {
    for (const close of closers.reverse()) await close()
    await authDatabase.release()
    await usersDatabase.release()
    const sql = connectPostgres({ url: databaseUrl, schema: 'public', max: 1 })
    await sql`DROP SCHEMA IF EXISTS ${sql(authSchema)} CASCADE`
    await sql`DROP SCHEMA IF EXISTS ${sql(usersSchema)} CASCADE`
    await closePostgres(sql)
  })

  function owned (service: Service): Service {
    let closed = false
    const close = async (): Promise<void> => {
      if (closed) return
      closed = true
      await service.close()
    }
    closers.push(close)
    return { app: service.app, close }
  }

  return {
    async startAuth (redisUrl) {
      const config = loadAuthConfig({
        ...authDatabase.env,
        REDIS_URL: redisUrl,
        SECRETS_KEY: secretsKey,
        REDIS_PREFIX: prefix,
        AUTH_DATABASE_SCHEMA: authSchema,
        AUTH_ISSUER: ISSUER,
        REVOCATION_MAX_STALENESS: String(MAX_STALENESS),
        LOG_LEVEL: 'silent'
      })
      const runtime = await openAuthRuntime(config, quiet)
      const app = await buildAuthApp(config, runtime.deps, { logger: false })
      await app.ready()
      jwks = (await app.inject({ url: '/.well-known/jwks.json' })).json<Jwks>()
      return owned({ app, async close () { await app.close(); await runtime.close() } })
    },

    async startUsers (redisUrl) {
      if (jwks === undefined) throw new Error('start an auth service first: the users service needs its keys')
      const config = loadUsersConfig({
        USERS_DATABASE_SCHEMA: usersSchema,
        REDIS_PREFIX: prefix,
        AUTH_ISSUER: ISSUER,
        REVOCATION_MAX_STALENESS: String(MAX_STALENESS),
        LOG_LEVEL: 'silent'
      })
      const { sql } = await openServiceDatabase({
        url: usersDatabase.url, migrationUrl: usersDatabase.migrationUrl, schema: usersSchema, poolMode: usersDatabase.poolMode, migrations: usersMigrations, max: 2
      })
      const feed = createRedisRevocationFeed({ url: redisUrl, prefix })
      const app = await buildUsersApp(config, {
        sql, revocationFeed: feed, keySource: createStaticKeySource(jwks), accountEvents: createInProcessAccountEvents()
      }, { logger: false })
      await app.ready()
      return owned({ app, async close () { await app.close(); await feed.close(); await closePostgres(sql) } })
    },

    async signUp (auth) {
      const email = `f-${randomUUID()}@example.test`
      const password = 'correct horse battery staple'
      const created = await auth.app.inject({ method: 'POST', url: '/accounts', payload: { email, password, name: 'Fault Test' } })
      if (created.statusCode !== 201) throw new Error(`register: ${created.statusCode}`)
      const session = await auth.app.inject({ method: 'POST', url: '/sessions', payload: { email, password } })
      if (session.statusCode !== 201) throw new Error(`log in: ${session.statusCode}`)
      return session.json<TokenPair>()
    }
  }
}

/** The status a guarded route of the service answers for the token: GET /verify at auth, GET /users/me at users. */
export async function guardAnswer (service: Service, token: string): Promise<{ status: number, code: string | undefined }> {
  const url = service.app.hasRoute({ method: 'GET', url: '/verify' }) ? '/verify' : '/users/me'
  const response = await service.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}` } })
  const code = response.statusCode >= 400 ? response.json<{ code?: string }>().code : undefined
  return { status: response.statusCode, code }
}

/** Whether the guard let the token through (anything but its 401 and 503: a missing profile's 404 passed the guard). */
export function accepted (answer: { status: number }): boolean {
  return answer.status !== 401 && answer.status !== 503
}

export function sleep (ms: number): Promise<void> {
  return new Promise(resolve => setTimeout(resolve, ms))
}

/**
 * Asks every service about the token every 50 ms for durationMs and returns each answer that let
 * it through, named by service.
 */
export async function acceptancesDuring (services: Record<string, Service>, token: string, durationMs: number): Promise<string[]> {
  const seen: string[] = []
  const deadline = Date.now() + durationMs
  while (Date.now() < deadline) {
    for (const [name, service] of Object.entries(services)) {
      const answer = await guardAnswer(service, token)
      if (accepted(answer)) seen.push(`${name}: ${answer.status}`)
    }
    await sleep(50)
  }
  return seen
}

/** Polls until every service refuses the token as revoked (401 token_revoked), recording any acceptance on the way. */
export async function untilRevokedEverywhere (services: Record<string, Service>, token: string, timeoutMs: number): Promise<{ revoked: boolean, acceptances: string[] }> {
  const acceptances: string[] = []
  const deadline = Date.now() + timeoutMs
  for (;;) {
    let all = true
    for (const [name, service] of Object.entries(services)) {
      const answer = await guardAnswer(service, token)
      if (accepted(answer)) acceptances.push(`${name}: ${answer.status}`)
      if (answer.code !== 'token_revoked') all = false
    }
    if (all) return { revoked: true, acceptances }
    if (Date.now() > deadline) return { revoked: false, acceptances }
    await sleep(50)
  }
}
