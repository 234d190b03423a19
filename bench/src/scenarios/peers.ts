/**
 * Scenario 10 (`--peers`): Latchkey beside its peers, in the same run, under the same load
 * generator and settings: a Fastify route guarded by @fastify/jwt (cache on and off) verifying
 * the same EdDSA tokens, and Better Auth (PostgreSQL adapter, bearer and jwt plugins). The peers
 * live in bench/peers, a package of their own with its own lockfile, installed here on demand.
 * Ratios are Latchkey ÷ peer; the chart goes to docs/bench/peers.svg beside the report.
 */
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import postgres from 'postgres'
import type { BenchContext, ResultRow, ScenarioResult } from '../lib/context.js'
import type { ServerProcess } from '../lib/processes.js'
import { load, type LoadOptions } from '../lib/load.js'
import { assertClean, type Measured } from '../lib/paired.js'
import { median } from '../lib/stats.js'
import { call, expectStatus } from '../lib/http.js'
import { ms, ratio, rps } from '../lib/format.js'
import { renderBarChart } from '../lib/chart.js'
import { PEER_LOGIN_MINIMUM_S } from '../lib/plan.js'
import { LOGIN_CONNECTIONS, loginLoad } from './passwords.js'

const PEERS_DIR = fileURLToPath(new URL('../../../peers/', import.meta.url))
const PINNED = ['@fastify/jwt', 'better-auth', 'fastify', 'jose', 'pg', '@node-rs/argon2']

/** One thing under load: a Latchkey route or a peer's. */
interface Target {
  label: string
  own: boolean
  server: ServerProcess
  load: Omit<LoadOptions, 'durationS'>
}

interface Figures {
  target: Target
  rounds: Measured[]
  rps: number
  p50: number
  p99: number
  cpuPerRequest: number
}

async function installPeers (ctx: BenchContext): Promise<Record<string, string>> {
  ctx.log('  installing bench/peers (pnpm install --frozen-lockfile)')
  await promisify(execFile)('pnpm', ['--dir', PEERS_DIR, 'install', '--frozen-lockfile'], { timeout: 300_000 })
  const versions: Record<string, string> = {}
  for (const name of PINNED) {
    versions[name] = (JSON.parse(await readFile(join(PEERS_DIR, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version
  }
  return versions
}

/** Every target warmed up, then the rounds interleaved (a, b, c, a, b, c, …) so drift hits all alike. */
async function measureAll (ctx: BenchContext, targets: Target[], minimumS = 0): Promise<Figures[]> {
  const { warmupS, rounds } = ctx.settings
  const durationS = Math.max(ctx.settings.durationS, minimumS)
  for (const target of targets) await load({ ...target.load, durationS: warmupS })
  const measured = targets.map((): Measured[] => [])
  for (let round = 0; round < rounds; round++) {
    ctx.progress.round(round + 1, rounds)
    for (const [index, target] of targets.entries()) {
      const before = await target.server.cpuMicros()
      const result = await load({ ...target.load, durationS })
      const after = await target.server.cpuMicros()
      measured[index]?.push({ ...result, cpuPerRequest: (after - before) / Math.max(1, result.ok) })
    }
  }
  return targets.map((target, index) => {
    const results = measured[index] ?? []
    assertClean(target.label, results)
    return {
      target,
      rounds: results,
      rps: median(results.map(r => r.rps)),
      p50: median(results.map(r => r.p50)),
      p99: median(results.map(r => r.p99)),
      cpuPerRequest: median(results.map(r => r.cpuPerRequest))
    }
  })
}

function compare (id: string, what: string, own: Figures, peer: Figures): ResultRow {
  return {
    scenario: `10${id}. ${what}`,
    measured: `${own.target.label} ${rps(own.rps)}`,
    baseline: `${peer.target.label} ${rps(peer.rps)}`,
    value: ratio(own.rps / peer.rps),
    cpu: ratio(own.cpuPerRequest / peer.cpuPerRequest),
    target: 'none (Latchkey ÷ peer)',
    met: undefined,
    numbers: {
      measured: { value: own.rps, unit: 'req/s' },
      baseline: { value: peer.rps, unit: 'req/s' },
      value: { value: own.rps / peer.rps, unit: '×' },
      cpu: own.cpuPerRequest / peer.cpuPerRequest
    }
  }
}

function describe (figures: Figures): string {
  const rounds = figures.rounds.map(r => Math.round(r.rps).toLocaleString('en-US')).join(' · ')
  return `${figures.target.label}: ${rps(figures.rps)}, p50 ${ms(figures.p50)}, p99 ${ms(figures.p99)}, ` +
    `${Math.round(figures.cpuPerRequest).toLocaleString('en-US')} µs server CPU/req (rounds: ${rounds} req/s)`
}

export async function peers (ctx: BenchContext): Promise<ScenarioResult> {
  const versions = await installPeers(ctx)
  const schema = `bench_peers_${ctx.runId}`
  const sql = postgres(ctx.databaseUrl, { max: 1, onnotice: () => {}, connect_timeout: 5 })
  const started: ServerProcess[] = []
  const start = async (name: string, entry: string, env: Record<string, string>): Promise<ServerProcess> => {
    const server = await ctx.startPeer(name, join(PEERS_DIR, entry), env)
    started.push(server)
    return server
  }
  try {
    await sql.unsafe(`CREATE SCHEMA ${schema}`)
    const jwtEnv = { BENCH_PUBLIC_KEY: ctx.key.publicKeyPem, PEER_ISSUER: ctx.issuer, PEER_AUDIENCE: ctx.audience }
    const jwtCached = await start('peer-fastify-jwt-cache', 'fastify-jwt.mjs', { ...jwtEnv, PEER_JWT_CACHE: 'on' })
    const jwtUncached = await start('peer-fastify-jwt-nocache', 'fastify-jwt.mjs', { ...jwtEnv, PEER_JWT_CACHE: 'off' })
    const betterAuth = await start('peer-better-auth', 'better-auth.mjs', { DATABASE_URL: ctx.databaseUrl, PEER_SCHEMA: schema, PEER_SECRET: randomBytes(32).toString('base64') })

    // Better Auth checks the Origin of every POST against its base URL, as a browser would send it.
    const json = { 'content-type': 'application/json', origin: betterAuth.url }
    const password = randomBytes(18).toString('base64url')
    const scryptEmail = `bench-scrypt-${ctx.runId}@example.com`
    const argonEmail = `bench-argon2-${ctx.runId}@example.com`
    await expectStatus(call(`${betterAuth.url}/api/auth/sign-up/email`, { method: 'POST', headers: json, json: { email: scryptEmail, password, name: 'Bench Account' } }), 200, 'Better Auth sign-up')
    await expectStatus(call(`${betterAuth.url}/argon2/api/auth/sign-up/email`, { method: 'POST', headers: json, json: { email: argonEmail, password, name: 'Bench Account' } }), 200, 'Better Auth (argon2id) sign-up')
    const signedIn = await expectStatus(call(`${betterAuth.url}/api/auth/sign-in/email`, { method: 'POST', headers: json, json: { email: scryptEmail, password } }), 200, 'Better Auth sign-in')
    const sessionToken = signedIn.headers['set-auth-token']
    if (typeof sessionToken !== 'string') throw new Error('Better Auth sign-in: no set-auth-token header (bearer plugin)')
    const minted = await expectStatus(call(`${betterAuth.url}/api/auth/token`, { token: sessionToken }), 200, 'Better Auth GET /api/auth/token')
    const betterJwt = (JSON.parse(minted.body) as { token: string }).token
    await expectStatus(call(`${betterAuth.url}/session`, { token: sessionToken }), 200, 'Better Auth bearer session check')
    await expectStatus(call(`${betterAuth.url}/jwt`, { token: betterJwt }), 200, 'Better Auth JWT checked with jose')

    const { connections } = ctx.settings
    const hot = { authorization: `Bearer ${ctx.account.token}` }
    const verify: Target = { label: 'Latchkey `GET /verify`', own: true, server: ctx.auth, load: { url: `${ctx.auth.url}/verify`, connections, headers: hot } }
    const cacheOn: Target = { label: '@fastify/jwt, cache on', own: false, server: jwtCached, load: { url: `${jwtCached.url}/verify`, connections, headers: hot } }
    const cacheOff: Target = { label: '@fastify/jwt, cache off', own: false, server: jwtUncached, load: { url: `${jwtUncached.url}/verify`, connections, headers: hot } }
    const joseCheck: Target = { label: 'Better Auth jwt() token + jose', own: false, server: betterAuth, load: { url: `${betterAuth.url}/jwt`, connections, headers: { authorization: `Bearer ${betterJwt}` } } }
    const usersMe: Target = { label: 'Latchkey `GET /users/me`', own: true, server: ctx.users, load: { url: `${ctx.users.url}/users/me`, connections, headers: hot } }
    const bearerSession: Target = { label: 'Better Auth bearer getSession', own: false, server: betterAuth, load: { url: `${betterAuth.url}/session`, connections, headers: { authorization: `Bearer ${sessionToken}` } } }
    const signIn = (path: string, email: string): Omit<LoadOptions, 'durationS'> =>
      ({ url: `${betterAuth.url}${path}`, method: 'POST', headers: json, body: JSON.stringify({ email, password }), connections: LOGIN_CONNECTIONS })
    const logIn: Target = { label: 'Latchkey `POST /sessions`', own: true, server: ctx.auth, load: loginLoad(ctx, ctx.auth) }
    const scryptSignIn: Target = { label: 'Better Auth sign-in (scrypt)', own: false, server: betterAuth, load: signIn('/api/auth/sign-in/email', scryptEmail) }
    const argonSignIn: Target = { label: 'Better Auth sign-in (argon2id)', own: false, server: betterAuth, load: signIn('/argon2/api/auth/sign-in/email', argonEmail) }

    ctx.log('  token checks')
    const [v, on, off, jose] = await measureAll(ctx, [verify, cacheOn, cacheOff, joseCheck]) as [Figures, Figures, Figures, Figures]
    ctx.log('  session checks')
    const [me, session] = await measureAll(ctx, [usersMe, bearerSession]) as [Figures, Figures]
    ctx.log('  log-ins')
    const [login, scrypt, argon] = await measureAll(ctx, [logIn, scryptSignIn, argonSignIn], PEER_LOGIN_MINIMUM_S) as [Figures, Figures, Figures]

    const chartPath = join(dirname(ctx.reportPath), 'docs', 'bench', 'peers.svg')
    const panel = (title: string, figures: Figures[]): { title: string, unit: string, bars: Array<{ label: string, value: number, own: boolean }> } =>
      ({ title, unit: 'req/s', bars: figures.map(f => ({ label: f.target.label.replaceAll('`', ''), value: f.rps, own: f.target.own })) })
    await mkdir(dirname(chartPath), { recursive: true })
    await writeFile(chartPath, renderBarChart({
      title: 'Scenario 10: Latchkey and its peers, same run, same load generator',
      subtitle: `${ctx.settings.quick ? 'quick run (not representative), ' : ''}medians of ${ctx.settings.rounds} round(s); each panel scaled to its own largest bar`,
      panels: [
        panel(`Token check, one hot token (${connections} connections)`, [v, on, off, jose]),
        panel(`Session check returning the user (${connections} connections)`, [me, session]),
        panel(`Log in (${LOGIN_CONNECTIONS} connections)`, [login, scrypt, argon])
      ]
    }))

    return {
      id: 10,
      title: 'Latchkey beside @fastify/jwt and Better Auth (`--peers`)',
      rows: [
        compare('a', '`/verify` vs @fastify/jwt, cache on', v, on),
        compare('b', '`/verify` vs @fastify/jwt, cache off', v, off),
        compare('c', '`/verify` vs Better Auth jwt() + jose', v, jose),
        compare('d', '`/users/me` vs Better Auth bearer session', me, session),
        compare('e', 'log in vs Better Auth sign-in (scrypt, its default)', login, scrypt),
        compare('f', 'log in vs Better Auth sign-in (argon2id)', login, argon)
      ],
      details: [
        `![Scenario 10 chart](${relative(dirname(ctx.reportPath), chartPath)})`,
        `peers pinned in bench/peers/pnpm-lock.yaml: ${Object.entries(versions).map(([name, version]) => `${name} ${version}`).join(', ')}; ` +
          'each peer is its own process, Fastify with its logger off, on the same UV_THREADPOOL_SIZE and NODE_ENV as the services',
        ...[v, on, off, jose, me, session, login, scrypt, argon].map(describe),
        'token checks: Latchkey verifies the EdDSA signature (cached per token), issuer, audience, expiry and the session against its revocation view; ' +
          '@fastify/jwt checks the same token for algorithm, issuer, audience and expiry (fast-jwt\'s cache on or off); ' +
          'Better Auth\'s jwt() plugin signs its own EdDSA token (GET /api/auth/token), checked in a Fastify route with jose\'s jwtVerify against its JWKS (fetched once, then cached by jose)',
        'session checks: Latchkey\'s `/users/me` checks the access token and reads the profile by primary key; Better Auth\'s bearer() session check (auth.api.getSession) reads the session and the user from PostgreSQL on every request ' +
          '(its cookie cache is off by default, and a bearer client sends no cookie); jwt() runs with disableSettingJwtHeader, since otherwise every session check also signs a JWT into a set-auth-jwt header',
        `log-in hashes: Latchkey argon2id m=19456 KiB t=2 p=1 (@node-rs/argon2), at most PASSWORD_HASH_CONCURRENCY=${ctx.settings.passwordHashConcurrency} at once; ` +
          'Better Auth\'s default scrypt N=16384 r=16 p=1 (64-byte key, node:crypto, about 32 MiB per hash); Better Auth with argon2id at Latchkey\'s parameters (@node-rs/argon2 through emailAndPassword.password, no concurrency limit); ' +
          `all on UV_THREADPOOL_SIZE=${ctx.settings.uvThreadpoolSize}. Both sides create a session row per log-in; Better Auth's rate limiter is off (Latchkey's limits are raised past the bench's rate)`,
        'server CPU per request is the server process\'s own (all its threads); PostgreSQL\'s and Redis\'s CPU is not included, on either side'
      ]
    }
  } finally {
    await Promise.allSettled(started.map(async server => { await server.stop() }))
    await sql.unsafe(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch((error: unknown) => { ctx.log(`  could not drop ${schema}: ${String(error)}`) })
    await sql.end({ timeout: 5 })
  }
}
