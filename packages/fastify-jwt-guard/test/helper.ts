/**
 * Test fixtures: Ed25519 keys generated per test, tokens signed with jose (and raw, for the
 * forgeries jose refuses to make), a tiny guarded Fastify app, and a private redis-server child
 * for the tests that need to kill or flush a Redis.
 */
import { generateKeyPairSync, randomUUID, sign, type KeyObject } from 'node:crypto'
import { spawn, type ChildProcess } from 'node:child_process'
import { createServer } from 'node:net'
import Fastify, { type FastifyInstance } from 'fastify'
import { SignJWT, exportJWK } from 'jose'
import { Redis } from 'ioredis'
import type { Jwk, RevocationPublisher } from '@latchkey/contracts'
import { fastifyProblem } from '@latchkey/fastify-problem'
import { createInProcessRevocationStore, createRedisRevocationPublisher, type InProcessRevocationStore } from '@latchkey/revocation-publisher'
import {
  createAccessTokenVerifier, createRedisRevocationFeed, createStaticKeySource, fastifyJwtGuard,
  RevocationView, type AccessTokenVerifier, type AccessTokenVerifierOptions, type RevocationFeed
} from '../src/index.js'

export const ISSUER = 'http://127.0.0.1:3001'
export const AUDIENCE = 'latchkey'
export const REDIS_URL = 'redis://127.0.0.1:6379'

interface Teardown { teardown: (fn: () => unknown) => void }

export function randomPrefix (): string {
  return `test:${randomUUID()}:`
}

export interface TestKey {
  kid: string
  privateKey: KeyObject
  publicKey: KeyObject
  jwk: Jwk
}

export async function createKey (kid = randomUUID()): Promise<TestKey> {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519')
  const exported = await exportJWK(publicKey)
  return { kid, privateKey, publicKey, jwk: { kty: 'OKP', crv: 'Ed25519', x: exported.x as string, kid, alg: 'EdDSA', use: 'sig' } }
}

export interface ClaimsInput {
  iss?: string
  aud?: string | string[]
  sub?: string
  sid?: string
  jti?: string
  roles?: string[]
  iat?: number
  exp?: number
  nbf?: number
  /** Any JSON, so tests can send malformed values too. */
  amr?: unknown
  auth_time?: unknown
  mfa_enrollment_required?: unknown
}

type Optional = 'nbf' | 'amr' | 'auth_time' | 'mfa_enrollment_required'

export function claims (overrides: ClaimsInput = {}): Required<Omit<ClaimsInput, Optional>> & Pick<ClaimsInput, Optional> {
  const iat = Math.floor(Date.now() / 1000)
  return { iss: ISSUER, aud: AUDIENCE, sub: randomUUID(), sid: randomUUID(), jti: randomUUID(), roles: ['user'], iat, exp: iat + 900, ...overrides }
}

/** A genuine access token, signed with jose the way the auth service signs. */
/** What signToken signs: a claim given as undefined is left out of the token. */
type SignedClaims = { [K in keyof ClaimsInput]?: ClaimsInput[K] | undefined }

export async function signToken (key: TestKey, payload: SignedClaims = claims(), header: { typ?: string } = {}): Promise<string> {
  const present = Object.fromEntries(Object.entries(payload).filter(([, value]) => value !== undefined))
  return await new SignJWT(present)
    .setProtectedHeader({ alg: 'EdDSA', typ: header.typ ?? 'at+jwt', kid: key.kid })
    .sign(key.privateKey)
}

export function b64url (value: unknown): string {
  return Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url')
}

/** A token assembled by hand, for forgeries: header and payload as given, signed with Ed25519 by `signer` if any. */
export function rawToken (header: Record<string, unknown>, payload: unknown, signer?: KeyObject): string {
  const input = `${b64url(header)}.${b64url(payload)}`
  const signature = signer === undefined ? '' : sign(null, Buffer.from(input), signer).toString('base64url')
  return `${input}.${signature}`
}

export interface GuardedApp {
  app: FastifyInstance
  verifier: AccessTokenVerifier
  view: RevocationView
}

/** Fastify + fastifyProblem + the guard; GET /me (authenticated) and GET /admin (admin role). */
export async function buildApp (t: Teardown, verifier: AccessTokenVerifier): Promise<FastifyInstance> {
  const app = Fastify()
  await app.register(fastifyProblem)
  await app.register(fastifyJwtGuard, { verifier })
  app.get('/me', { onRequest: app.authenticate }, async request => ({ auth: request.auth }))
  app.get('/admin', { onRequest: [app.authenticate, app.requireRole('admin')] }, async () => ({ ok: true }))
  await app.ready()
  t.teardown(() => app.close())
  return app
}

/**
 * Both sides of the Redis revocation store under `prefix`: the guard's feed and, playing the auth
 * service, the publisher. Closed in teardown.
 */
export type RevocationStore = RevocationFeed & RevocationPublisher

export function redisStore (t: Teardown, url: string, prefix: string): RevocationStore {
  const feed = createRedisRevocationFeed({ url, prefix })
  const publisher = createRedisRevocationPublisher({ url, prefix })
  const store: RevocationStore = {
    loadAll: onPage => feed.loadAll(onPage),
    subscribe: listener => feed.subscribe(listener),
    isConnected: () => feed.isConnected(),
    publish: entries => publisher.publish(entries),
    seed: entries => publisher.seed(entries),
    currentEpoch: () => publisher.currentEpoch(),
    heartbeat: epoch => publisher.heartbeat(epoch),
    async close () { await Promise.all([feed.close(), publisher.close()]) }
  }
  t.teardown(() => store.close())
  return store
}

export interface Producer {
  /** Stops heartbeating: the producer looks down. */
  stop (): void
  /** Heartbeats again (re-seeding first when the store lost its data). */
  start (): void
}

/**
 * Plays the auth service's relay without a database: seeds the store when it is not seeded and
 * heartbeats every intervalMs. Errors (Redis down) are swallowed; the next beat retries.
 */
export function startProducer (t: Teardown, feed: RevocationPublisher, intervalMs = 100): Producer {
  let timer: NodeJS.Timeout | undefined
  const beat = async (): Promise<void> => {
    try {
      const epoch = await feed.currentEpoch() ?? await feed.seed([])
      await feed.heartbeat(epoch)
    } catch {
      // Down: no heartbeat, which is the point.
    }
  }
  const producer: Producer = {
    stop () { clearInterval(timer); timer = undefined },
    start () {
      if (timer !== undefined) return
      void beat()
      timer = setInterval(() => { void beat() }, intervalMs)
    }
  }
  producer.start()
  t.teardown(() => { producer.stop() })
  return producer
}

/** An app whose keys are `keys` and whose revocations travel in process, with a producer heartbeating. */
export async function buildStaticApp (t: Teardown, keys: TestKey[], options: Partial<AccessTokenVerifierOptions> = {}): Promise<GuardedApp & { feed: InProcessRevocationStore }> {
  const feed = createInProcessRevocationStore()
  const view = new RevocationView(feed)
  await view.start()
  t.teardown(() => view.close())
  startProducer(t, feed)
  await view.whenFresh(2_000)
  const verifier = createAccessTokenVerifier({
    keys: createStaticKeySource({ keys: keys.map(key => key.jwk) }),
    issuer: ISSUER,
    audience: AUDIENCE,
    revocations: view,
    maxLifetimeSeconds: 900,
    ...options
  })
  return { app: await buildApp(t, verifier), verifier, view, feed }
}

async function freePort (): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => { typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port')) })
    })
  })
}

export function sleep (ms: number): Promise<void> {
  return new Promise(resolve => setTimeout(resolve, ms))
}

/** Polls `condition` every 20 ms until true or timeoutMs; returns the elapsed ms or throws. */
export async function waitFor (condition: () => boolean | Promise<boolean>, timeoutMs: number): Promise<number> {
  const started = Date.now()
  for (;;) {
    if (await condition()) return Date.now() - started
    if (Date.now() - started > timeoutMs) throw new Error(`condition not met within ${timeoutMs} ms`)
    await sleep(20)
  }
}

/** A private redis-server (no persistence) on a free port, which a test may stop and start again. */
export interface OwnRedis {
  url: string
  start (): Promise<void>
  stop (): Promise<void>
}

export async function ownRedis (t: Teardown): Promise<OwnRedis> {
  const port = await freePort()
  const url = `redis://127.0.0.1:${port}`
  let child: ChildProcess | undefined
  const own: OwnRedis = {
    url,
    async start () {
      child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' })
      await waitFor(async () => {
        const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null })
        probe.on('error', () => {})
        try { await probe.connect(); await probe.ping(); return true } catch { return false } finally { probe.disconnect() }
      }, 5_000)
    },
    async stop () {
      const running = child
      child = undefined
      if (running === undefined || running.exitCode !== null) return
      await new Promise<void>(resolve => { running.once('exit', () => { resolve() }); running.kill('SIGKILL') })
    }
  }
  await own.start()
  t.teardown(() => own.stop())
  return own
}
