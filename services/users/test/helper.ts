/**
 * Builds the users app against the real PostgreSQL and Redis with data unique to one test file:
 * a random schema (dropped in teardown), a random Redis prefix (its keys deleted in teardown), and
 * an Ed25519 key generated here to mint access tokens the way the auth service does.
 */
import { randomUUID } from 'node:crypto'
import type { Test } from 'tap'
import type { FastifyInstance } from 'fastify'
import { Redis } from 'ioredis'
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose'
import type { AccountEvent, Jwk } from '@latchkey/contracts'
import {
  createInProcessAccountEvents,
  createRedisAccountEventConsumer,
  createRedisAccountEventPublisher,
  type AccountEventConsumer,
  type AccountEventPublisher
} from '@latchkey/account-events'
import type { RevocationPublisher } from '@latchkey/contracts'
import { createRedisRevocationFeed, createRemoteKeySource, createStaticKeySource, type KeySource, type RevocationFeed } from '@latchkey/fastify-jwt-guard'
import { createRedisRevocationPublisher } from '@latchkey/revocation-publisher'
import { migrationsDirectoryOf } from '@latchkey/postgres-kit'
import { openTestServiceDatabase, testRedisUrl, type TcpProxy } from '@latchkey/test-support'
import type { Sql } from 'postgres'
import { buildUsersApp, loadUsersConfig } from '../src/index.js'

// The users suite drives the Redis stream and feed directly; without a Redis it fails loudly.
const REDIS_URL = await testRedisUrl() ?? 'redis://127.0.0.1:6379'
const ISSUER = 'http://127.0.0.1:3001'
const AUDIENCE = 'latchkey'

const silentLog = { info () {}, warn () {}, error () {} }

export interface TokenOptions {
  sub?: string
  sid?: string
  roles?: string[]
  issuer?: string
  audience?: string
  expiresIn?: string | number
  key?: CryptoKey
  /** The kid in the header; default the world's own key's. */
  kid?: string
  /** A token good only for enrolling a second factor (the auth service's MFA_REQUIRED_ROLES). */
  enrolmentOnly?: boolean
}

/** An Ed25519 key pair as the auth service publishes it: the private half signs, the JWK verifies. */
export interface SigningKey {
  privateKey: CryptoKey
  kid: string
  jwk: Jwk
}

export async function createSigningKey (): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' })
  const kid = randomUUID()
  return { privateKey, kid, jwk: { ...(await exportJWK(publicKey)), kid, alg: 'EdDSA', use: 'sig' } as Jwk }
}

const usersMigrations = migrationsDirectoryOf(import.meta.url)

export interface UsersWorld {
  app: FastifyInstance
  sql: Sql
  schema: string
  prefix: string
  redis: Redis
  /** The feed the app's view reads and, playing the auth service, the publisher that writes it. */
  feed: RevocationFeed & RevocationPublisher
  keySource: KeySource
  /** The JWKS that lists the world's signing key, as the auth service would serve it. */
  jwks: { keys: Jwk[] }
  config: ReturnType<typeof loadUsersConfig>
  /** Publishes an account event the way the auth service's relay does (Redis or in process). */
  publish (event: AccountEvent): Promise<void>
  token (options?: TokenOptions): Promise<string>
  /** Registers an account and waits until its profile exists; returns its id and a token. */
  account (name?: string, roles?: string[]): Promise<{ id: string, token: string, sid: string }>
  /** Builds another app instance on the same schema and prefix (a restart, a second replica). */
  rebuild (accountEvents: AccountEventConsumer): Promise<FastifyInstance>
  redisConsumer (name?: string, claimIdleMs?: number): AccountEventConsumer
  /** The proxy between the app and its database (with `databaseProxy`), for a fault test to cut. */
  databaseProxy: TcpProxy | undefined
}

export interface BuildOptions {
  /** 'in-process' (default): publish() awaits the consumer. 'redis': the real stream. */
  events?: 'in-process' | 'redis'
  claimIdleMs?: number
  /** Extra environment for the service's configuration. */
  env?: Record<string, string>
  /** The app reaches its database through a proxy of the test's own, which a fault test can cut. */
  databaseProxy?: boolean
  /** Fetch the keys from this JWKS URL, as the running service does, instead of holding them. */
  jwksUrl?: string
  /** The key the world signs with; default a new one. */
  signingKey?: SigningKey
}

export function randomName (base = 'user'): string {
  return `${base}-${randomUUID().slice(0, 8)}`
}

export function accountCreated (id: string, name: string): AccountEvent {
  return { id: randomUUID(), occurredAt: new Date().toISOString(), type: 'account.created', data: { id, name } }
}

export function accountDeleted (id: string): AccountEvent {
  return { id: randomUUID(), occurredAt: new Date().toISOString(), type: 'account.deleted', data: { id } }
}

export async function waitFor (check: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await new Promise(resolve => setTimeout(resolve, 20))
  }
}

function redisRevocations (prefix: string): RevocationFeed & RevocationPublisher {
  const feed = createRedisRevocationFeed({ url: REDIS_URL, prefix })
  const publisher = createRedisRevocationPublisher({ url: REDIS_URL, prefix })
  return {
    loadAll: onPage => feed.loadAll(onPage),
    subscribe: listener => feed.subscribe(listener),
    isConnected: () => feed.isConnected(),
    publish: entries => publisher.publish(entries),
    seed: entries => publisher.seed(entries),
    currentEpoch: () => publisher.currentEpoch(),
    heartbeat: epoch => publisher.heartbeat(epoch),
    async close () { await Promise.all([feed.close(), publisher.close()]) }
  }
}
export async function build (t: Test, options: BuildOptions = {}): Promise<UsersWorld> {
  const schema = `users_t_${randomUUID().replaceAll('-', '').slice(0, 12)}`
  const prefix = `latchkey_t_${randomUUID().slice(0, 8)}:`
  const serviceDatabase = await openTestServiceDatabase({ schema, migrations: usersMigrations, proxy: options.databaseProxy, max: 10 })
  const { sql, database, proxy: databaseProxy, url: databaseUrl } = serviceDatabase
  const config = loadUsersConfig({ ...database.env, DATABASE_URL: databaseUrl, USERS_DATABASE_SCHEMA: schema, REDIS_PREFIX: prefix, LOG_LEVEL: 'silent', REVOCATION_MAX_STALENESS: '10', ...options.env })
  const redis = new Redis(REDIS_URL, { protocol: 2 })
  const feed = redisRevocations(prefix)

  const { privateKey, kid, jwk } = options.signingKey ?? await createSigningKey()
  const jwks = { keys: [jwk] }
  const remoteKeys = options.jwksUrl === undefined ? undefined : createRemoteKeySource({ url: options.jwksUrl, refetchIntervalMs: config.JWKS_REFETCH_INTERVAL * 1000 })
  const keySource = remoteKeys ?? createStaticKeySource(jwks)

  const inProcess = createInProcessAccountEvents()
  let publisher: (AccountEventPublisher & { close (): Promise<void> }) | undefined
  const apps: FastifyInstance[] = []
  const consumers: AccountEventConsumer[] = []

  function redisConsumer (name = `users-test-${randomUUID().slice(0, 8)}`, claimIdleMs = options.claimIdleMs ?? 30_000): AccountEventConsumer {
    const consumer = createRedisAccountEventConsumer({ url: REDIS_URL, prefix, group: 'users', consumer: name, claimIdleMs, log: silentLog })
    consumers.push(consumer)
    return consumer
  }

  async function rebuild (accountEvents: AccountEventConsumer): Promise<FastifyInstance> {
    const instance = await buildUsersApp(config, { sql, revocationFeed: feed, keySource, accountEvents })
    apps.push(instance)
    await instance.ready()
    return instance
  }

  const stopProducer = startRevocationProducer(feed)
  const app = await rebuild(options.events === 'redis' ? redisConsumer() : inProcess)
  if (options.events === 'redis') publisher = createRedisAccountEventPublisher({ url: REDIS_URL, prefix, log: silentLog })

  t.teardown(async () => {
    stopProducer()
    for (const instance of apps) await instance.close()
    for (const consumer of consumers) await consumer.close()
    await publisher?.close()
    remoteKeys?.close()
    await feed.close()
    await serviceDatabase.close()
    const keys = await redis.keys(`${prefix}*`)
    if (keys.length > 0) await redis.del(...keys)
    await redis.quit()
  })

  async function token (o: TokenOptions = {}): Promise<string> {
    return await new SignJWT({ sid: o.sid ?? randomUUID(), roles: o.roles ?? ['user'], jti: randomUUID(), ...(o.enrolmentOnly === true ? { mfa_enrollment_required: true } : {}) })
      .setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt', kid: o.kid ?? kid })
      .setIssuer(o.issuer ?? ISSUER)
      .setAudience(o.audience ?? AUDIENCE)
      .setSubject(o.sub ?? randomUUID())
      .setIssuedAt()
      .setExpirationTime(o.expiresIn ?? '15m')
      .sign(o.key ?? privateKey)
  }

  async function publish (event: AccountEvent): Promise<void> {
    if (publisher !== undefined) await publisher.publish(event)
    else await inProcess.publish(event)
  }

  async function account (name = randomName(), roles = ['user']): Promise<{ id: string, token: string, sid: string }> {
    const id = randomUUID()
    const sid = randomUUID()
    await publish(accountCreated(id, name))
    if (publisher !== undefined) {
      await waitFor(async () => (await sql`SELECT 1 FROM profiles WHERE id = ${id}`).length === 1)
    }
    return { id, sid, token: await token({ sub: id, sid, roles }) }
  }

  return { app, sql, schema, prefix, redis, feed, keySource, jwks, config, publish, token, account, rebuild, redisConsumer, databaseProxy }
}

/**
 * Plays the auth service's revocation relay (there is no auth service here): seeds the feed's
 * store when it is not seeded and heartbeats every 100 ms, so the guard counts itself fresh.
 * Returns the function that stops it.
 */
function startRevocationProducer (feed: RevocationPublisher): () => void {
  const beat = async (): Promise<void> => {
    try {
      await feed.heartbeat(await feed.currentEpoch() ?? await feed.seed([]))
    } catch {
      // Redis away (a fault test): no heartbeat, as with a real auth service.
    }
  }
  void beat()
  const timer = setInterval(() => { void beat() }, 100)
  return () => { clearInterval(timer) }
}

export function bearer (token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` }
}
