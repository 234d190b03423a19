/**
 * Server-side process of the benchmarks, forked by run.ts so that autocannon never shares a
 * process (or an event loop) with what it measures. One role per process:
 *
 *   auth      the auth service as its server.ts starts it (openAuthRuntime with DATABASE_URL and
 *             REDIS_URL, buildAuthApp), the revocation feed wrapped to time the view's reloads
 *   users     the users service as its server.ts starts it (openUsersRuntime, buildUsersApp)
 *   baseline  the bare comparisons: a bare route, a bare Ed25519 verify, a bare PK SELECT, raw
 *             argon2 verification, with the services' shared server options (BENCH_SERVER_OPTIONS
 *             names the service the bare app stands in for: auth|users)
 *
 * It reports { type: 'ready', port } over IPC and answers the requests in ./lib/ipc.ts.
 */
import { createPublicKey, randomBytes, randomUUID, verify as verifySignature } from 'node:crypto'
import { subscribe } from 'node:diagnostics_channel'
import type { Socket } from 'node:net'
import { performance } from 'node:perf_hooks'
import { getHeapSpaceStatistics } from 'node:v8'
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify'
import { hash as argonHash, verify as argonVerify } from '@node-rs/argon2'
import { buildAuthApp, loadAuthConfig, openAuthRuntime } from '@latchkey/auth'
import { buildUsersApp, loadUsersConfig, openUsersRuntime } from '@latchkey/users'
import type { RevocationFeed } from '@latchkey/fastify-jwt-guard'
import { closePostgres, connectPostgres } from '@latchkey/postgres-kit'
import { securityHeaders } from '@latchkey/fastify-security-headers'
import { serverOptions } from '@latchkey/service-kit'
import type { Sql } from 'postgres'
import type { ChildRequest, ChildReply, ReloadTiming } from './lib/ipc.js'

const role = process.argv[2]
const env = process.env
const wallNow = (): number => performance.timeOrigin + performance.now()
/** Services run without a logger, as measured; BENCH_SERVER_LOG=<pino level> turns one on to debug the harness. */
const logger = env.BENCH_SERVER_LOG === undefined ? false : { level: env.BENCH_SERVER_LOG }

function required (name: string): string {
  const value = env[name]
  if (value === undefined || value === '') throw new Error(`bench server: ${name} is required`)
  return value
}

// Every TCP connection to Redis this process opens, so 'drop-redis' can cut them like a network blip.
const redisPort = Number(new URL(required('REDIS_URL')).port || 6379)
const redisSockets = new Set<Socket>()
subscribe('net.client.socket', message => {
  const socket = (message as { socket: Socket }).socket
  socket.once('connect', () => {
    if (socket.remotePort === redisPort) {
      redisSockets.add(socket)
      socket.once('close', () => { redisSockets.delete(socket) })
    }
  })
})

/** The feed, timing every full load (the view's resync), for scenario 7. */
const reloads: ReloadTiming[] = []
function instrument (feed: RevocationFeed): RevocationFeed {
  return {
    subscribe: feed.subscribe.bind(feed),
    isConnected: feed.isConnected.bind(feed),
    close: feed.close.bind(feed),
    async loadAll (onPage) {
      const timing: ReloadTiming = { startedAt: wallNow(), appliedAt: 0, entries: 0 }
      reloads.push(timing)
      // The view applies each page as it is handed over: once the load settles, all is applied.
      const snapshot = await feed.loadAll(entries => {
        timing.entries += entries.length
        onPage(entries)
      })
      timing.appliedAt = wallNow()
      return snapshot
    }
  }
}

const closers: Array<() => Promise<void>> = []
let app: FastifyInstance
let rawHash: { hash: string, password: string } | undefined

async function startAuth (): Promise<FastifyInstance> {
  const config = loadAuthConfig(env)
  if (config.REDIS_URL === undefined || config.DATABASE_URL === undefined) throw new Error('bench auth: DATABASE_URL and REDIS_URL are required')
  const runtime = await openAuthRuntime(config, { info () {}, warn () {} })
  // The service's own runtime, with only its revocation feed wrapped to time the view's reloads.
  const auth = await buildAuthApp(config, { ...runtime.deps, revocationFeed: instrument(runtime.deps.revocationFeed) }, { logger })
  closers.push(async () => { await runtime.close() })
  return auth
}

async function startUsers (): Promise<FastifyInstance> {
  const config = loadUsersConfig(env)
  const runtime = await openUsersRuntime(config, { info () {}, warn () {}, error () {} })
  await runtime.deps.keySource.ready()
  const users = await buildUsersApp(config, runtime.deps, { logger })
  closers.push(async () => { await runtime.close() })
  return users
}

async function startBaseline (): Promise<FastifyInstance> {
  // Both services run on the one set of server options of @latchkey/service-kit; logger off as measured.
  const service = env.BENCH_SERVER_OPTIONS ?? 'auth'
  if (service !== 'auth' && service !== 'users') throw new Error('BENCH_SERVER_OPTIONS must be auth or users')
  const bare = Fastify(serverOptions({ service, logLevel: 'silent', nodeEnv: 'production', trustedProxies: [], logger: false }))
  const answer = { sub: randomUUID(), sid: randomUUID(), roles: ['user'], exp: Math.floor(Date.now() / 1000) + 3600 }

  // 1: the bare route.
  bare.get('/bare', async () => answer)

  // 1, its ceiling: the bare route answering every header a /verify answer carries (the security
  // headers, the request id, the four X-Auth-* headers), set in the handler. It bounds what any
  // guard could reach with the contract's headers.
  const verifyHeaders = securityHeaders({ noStore: true }).api
  const roles = answer.roles.join(',')
  const withContractHeaders = (request: FastifyRequest, reply: FastifyReply): FastifyReply => reply.headers(verifyHeaders).header('x-request-id', request.id)
    .header('x-auth-subject', answer.sub).header('x-auth-session', answer.sid).header('x-auth-roles', roles).header('x-auth-amr', 'pwd')
  bare.get('/bare/contract-headers', (request, reply) => {
    withContractHeaders(request, reply)
    return answer
  })

  // 2: only an Ed25519 verify of the presented token, nothing else; and (its ceiling) the same
  // answering the headers of /verify.
  const publicKeyPem = env.BENCH_PUBLIC_KEY
  if (publicKeyPem !== undefined) {
    const publicKey = createPublicKey(publicKeyPem)
    const signatureValid = (request: FastifyRequest): boolean => {
      const token = request.headers.authorization?.slice(7) ?? ''
      const dot = token.lastIndexOf('.')
      return dot > 0 && verifySignature(null, Buffer.from(token.slice(0, dot)), publicKey, Buffer.from(token.slice(dot + 1), 'base64url'))
    }
    bare.get('/bare/verify', async (request, reply) => {
      if (!signatureValid(request)) return await reply.code(401).send({ ok: false })
      return answer
    })
    bare.get('/bare/verify/contract-headers', async (request, reply) => {
      if (!signatureValid(request)) return await reply.code(401).send({ ok: false })
      withContractHeaders(request, reply)
      return answer
    })
  }

  // 3: the same primary-key SELECT as GET /users/me, on the same kind of pool.
  const schema = env.USERS_DATABASE_SCHEMA
  if (schema !== undefined && env.DATABASE_URL !== undefined) {
    const sql: Sql = connectPostgres({ url: env.DATABASE_URL, schema })
    closers.push(async () => { await closePostgres(sql) })
    bare.get<{ Params: { id: string } }>('/bare/profiles/:id', async (request, reply) => {
      const [row] = await sql`SELECT * FROM profiles WHERE id = ${request.params.id}`
      if (row === undefined) return await reply.code(404).send({ found: false })
      return row
    })
  }

  // 4: raw argon2id verification at the auth service's parameters (driven over IPC, no HTTP).
  const params = {
    algorithm: 2,
    memoryCost: Number(env.ARGON2_MEMORY_COST ?? 19456),
    timeCost: Number(env.ARGON2_TIME_COST ?? 2),
    parallelism: Number(env.ARGON2_PARALLELISM ?? 1)
  }
  const password = randomBytes(18).toString('base64url')
  rawHash = { hash: await argonHash(password, params), password }
  return bare
}

/** `concurrency` verifications always in flight for durationMs: how many finished per second. */
async function hashBench (concurrency: number, durationMs: number): Promise<{ count: number, elapsedMs: number }> {
  if (rawHash === undefined) throw new Error('hashbench runs in the baseline role')
  const { hash, password } = rawHash
  const start = performance.now()
  const end = start + durationMs
  let count = 0
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (performance.now() < end) {
      if (!await argonVerify(hash, password)) throw new Error('raw verification failed')
      count++
    }
  }))
  return { count, elapsedMs: performance.now() - start }
}

async function answer (request: ChildRequest): Promise<ChildReply> {
  switch (request.type) {
    case 'stats': {
      if (request.gc === true && typeof globalThis.gc === 'function') { globalThis.gc(); globalThis.gc() }
      const usage = process.memoryUsage()
      const cpu = process.cpuUsage()
      // V8 grows its young generation under allocation pressure and gives it back when idle: RSS
      // moves with it by tens of MB with no object retained (see scenario 9).
      const youngGeneration = getHeapSpaceStatistics()
        .filter(space => space.space_name === 'new_space' || space.space_name === 'new_large_object_space')
        .reduce((sum, space) => sum + space.physical_space_size, 0)
      return { type: 'stats', id: request.id, rss: usage.rss, heapUsed: usage.heapUsed, heapTotal: usage.heapTotal, youngGeneration, cpuMicros: cpu.user + cpu.system }
    }
    case 'drop-redis': {
      const at = wallNow()
      const count = redisSockets.size
      for (const socket of redisSockets) socket.destroy()
      return { type: 'dropped', id: request.id, at, count }
    }
    case 'reloads':
      return { type: 'reloads', id: request.id, reloads: reloads.filter(timing => timing.startedAt >= request.since) }
    case 'hashbench':
      return { type: 'hashbench', id: request.id, ...await hashBench(request.concurrency, request.durationMs) }
    case 'close':
      await app.close()
      for (const close of closers) await close()
      return { type: 'closed', id: request.id }
  }
}

process.on('message', (message: ChildRequest) => {
  answer(message).then(
    reply => { process.send?.(reply, () => { if (reply.type === 'closed') process.exit(0) }) },
    (error: unknown) => { process.send?.({ type: 'error', id: message.id, message: String(error) }) }
  )
})
process.on('disconnect', () => { process.exit(0) })

switch (role) {
  case 'auth': app = await startAuth(); break
  case 'users': app = await startUsers(); break
  case 'baseline': app = await startBaseline(); break
  default: throw new Error(`unknown role ${String(role)}`)
}
await app.listen({ port: 0, host: '127.0.0.1' })
const address = app.server.address()
process.send?.({ type: 'ready', port: typeof address === 'object' && address !== null ? address.port : 0 })
