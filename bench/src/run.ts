#!/usr/bin/env node
/**
 * `pnpm bench [flags]` (`pnpm bench --help` lists them, lib/cli.ts holds them).
 *
 * Forks the services and the baseline servers (server.ts), drives them with autocannon from this
 * process, and writes the results where lib/cli.ts's outputPaths says. Exits non-zero only when
 * the harness itself fails, never for a missed target; 2 for a bad command line.
 */
import { randomBytes } from 'node:crypto'
import { mkdtemp } from 'node:fs/promises'
import { availableParallelism, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Redis } from 'ioredis'
import postgres from 'postgres'
import type { BenchAccount, BenchContext, ScenarioResult } from './lib/context.js'
import { startProcess, startServer, type ServerProcess } from './lib/processes.js'
import { generateBenchKey, mintAccessToken } from './lib/tokens.js'
import { call, closeAgent, expectStatus } from './lib/http.js'
import { busyShare, describeMachine, LoadSampler } from './lib/machine.js'
import { renderResults, writeReport, type RunInfo } from './lib/report.js'
import { benchSettings, outputPaths, parseCommand, PEERS_SCENARIO, USAGE } from './lib/cli.js'
import { compareResults, readResults } from './lib/compare.js'
import { currentCommit } from './lib/commit.js'
import { resultsJson, writeResultsJson } from './lib/results-json.js'
import { planned, type Planned } from './lib/plan.js'
import { Progress } from './lib/progress.js'
import { distinctTokensVerify, hotTokenVerify, profileRead } from './scenarios/throughput.js'
import { login, verifyUnderLoginLoad } from './scenarios/passwords.js'
import { profileAfterRegistration, revocationPropagation } from './scenarios/propagation.js'
import { revocationViewAtScale } from './scenarios/revocation-scale.js'
import { soak } from './scenarios/soak.js'
import { peers } from './scenarios/peers.js'

interface Scenario {
  id: number
  run: (ctx: BenchContext) => Promise<ScenarioResult>
  planned: Planned
}

const SCENARIOS: Scenario[] = [
  { id: 1, run: hotTokenVerify, planned: planned.paired },
  { id: 2, run: distinctTokensVerify, planned: planned.distinctTokens },
  { id: 3, run: profileRead, planned: planned.paired },
  { id: 4, run: login, planned: planned.login },
  { id: 5, run: verifyUnderLoginLoad, planned: planned.verifyUnderLogin },
  { id: 6, run: revocationPropagation, planned: planned.propagation },
  { id: 7, run: revocationViewAtScale, planned: planned.revocationScale },
  { id: 8, run: profileAfterRegistration, planned: planned.propagation },
  { id: 9, run: soak, planned: planned.soak },
  { id: PEERS_SCENARIO, run: peers, planned: planned.peers }
]

const command = parseCommand(process.argv.slice(2), SCENARIOS.map(scenario => scenario.id))
if (command.kind === 'help') {
  process.stdout.write(USAGE)
  process.exit(0)
}
if (command.kind === 'usage-error') {
  process.stderr.write(`pnpm bench: ${command.message}\n\n${USAGE}`)
  process.exit(2)
}
if (command.kind === 'compare') {
  try {
    process.stdout.write(compareResults(await readResults(command.before), await readResults(command.after)))
    process.exit(0)
  } catch (error) {
    process.stderr.write(`pnpm bench --compare: ${error instanceof Error ? error.message : String(error)}\n`)
    process.exit(2)
  }
}
const { options } = command
const { quick } = options
const settings = benchSettings(options, availableParallelism())
const selected = SCENARIOS.filter(scenario => (options.only?.includes(scenario.id) ?? true) && (scenario.id !== PEERS_SCENARIO || options.peers === true))
const repoRoot = fileURLToPath(new URL('../../../', import.meta.url))
const paths = outputPaths(options, repoRoot)

const log = (message: string): void => { process.stdout.write(`${message}\n`) }
const databaseUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test'
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'
const runId = randomBytes(4).toString('hex')
const authSchema = `bench_auth_${runId}`
const usersSchema = `bench_users_${runId}`
const prefix = `bench:${runId}:`
const issuer = 'http://latchkey-bench.invalid'
const audience = 'latchkey'

const startedAt = Date.now()
const commit = await currentCommit(repoRoot)
const busyBefore = await busyShare(2_000)
const loadSampler = new LoadSampler()
const sql = postgres(databaseUrl, { max: 1, onnotice: () => {}, connect_timeout: 5 })
const redis = new Redis(redisUrl, { maxRetriesPerRequest: 2, lazyConnect: true })
const logDir = await mkdtemp(join(tmpdir(), 'latchkey-bench-'))
const servers: ServerProcess[] = []
const results: ScenarioResult[] = []
const failures: string[] = []
let harnessBroken = false
let postgresVersion = 'PostgreSQL ?'
let redisVersion = '?'

try {
  postgresVersion = ((await sql<Array<{ version: string }>>`SELECT version()`)[0]?.version ?? '').split(' on ')[0] ?? postgresVersion
  await redis.connect()
  redisVersion = /redis_version:(\S+)/.exec(await redis.info('server'))?.[1] ?? redisVersion
  log(`latchkey bench ${quick ? '(quick) ' : ''}run ${runId}: PostgreSQL ${databaseUrl}, Redis ${redisUrl}, server logs in ${logDir}`)

  const key = await generateBenchKey()
  const common: Record<string, string> = {
    DATABASE_URL: databaseUrl,
    REDIS_URL: redisUrl,
    SECRETS_KEY: randomBytes(32).toString('base64'),
    REDIS_PREFIX: prefix,
    HOST: '127.0.0.1',
    AUTH_ISSUER: issuer,
    TOKEN_AUDIENCE: audience,
    LOG_LEVEL: 'silent',
    NODE_ENV: 'production',
    // Production requires mail settings; the bench sends none (no verification at registration).
    EMAIL_VERIFICATION: 'off',
    SMTP_URL: 'smtp://127.0.0.1:9',
    PASSWORD_RESET_URL: 'http://app.bench.test/reset#token={token}',
    EMAIL_VERIFICATION_URL: 'http://app.bench.test/verify#token={token}',
    // Both services: auth signs with it, and both guards refuse tokens living longer.
    ACCESS_TOKEN_TTL: '3600',
    UV_THREADPOOL_SIZE: String(settings.uvThreadpoolSize)
  }
  const authEnv: Record<string, string> = {
    ...common,
    AUTH_DATABASE_SCHEMA: authSchema,
    JWT_PRIVATE_KEY: key.privateKeyPem,
    // The bench logs in thousands of times from one address: per-IP limits would turn it into a 429 benchmark.
    RATE_LIMIT_IP_MAX: '1000000000',
    // Its log-ins run eight at once for one account: each is counted before its hash, so more
    // than LOGIN_FAILURES_MAX in flight would be held back like a guessing burst.
    LOGIN_FAILURES_MAX: '1000000',
    PASSWORD_HASH_CONCURRENCY: String(settings.passwordHashConcurrency)
  }
  const launch = async (name: string, role: 'auth' | 'users' | 'baseline', env: Record<string, string>): Promise<ServerProcess> => {
    const server = await startServer(name, role, env, logDir)
    servers.push(server)
    return server
  }

  log('starting auth, users and the baseline servers')
  const auth = await launch('auth', 'auth', authEnv)
  const users = await launch('users', 'users', { ...common, USERS_DATABASE_SCHEMA: usersSchema, AUTH_JWKS_URL: `${auth.url}/.well-known/jwks.json` })
  const baseAuth = await launch('baseline-auth', 'baseline', { ...common, BENCH_SERVER_OPTIONS: 'auth', BENCH_PUBLIC_KEY: key.publicKeyPem })
  const baseUsers = await launch('baseline-users', 'baseline', { ...common, BENCH_SERVER_OPTIONS: 'users', USERS_DATABASE_SCHEMA: usersSchema })

  // The account every hot-path scenario uses: registered, its profile arrived, logged in.
  const password = randomBytes(18).toString('base64url')
  const email = `bench-${runId}@example.com`
  const registered = await expectStatus(call(`${auth.url}/accounts`, { method: 'POST', json: { email, password, name: 'Bench Account' } }), 201, 'register the bench account')
  const { id } = JSON.parse(registered.body) as { id: string }
  const probe = mintAccessToken(key, { issuer, audience, sub: id, ttlSeconds: 600 })
  for (let tries = 0; (await call(`${users.url}/users/me`, { token: probe })).status !== 200; tries++) {
    if (tries > 500) throw new Error('the bench account\'s profile never reached the users service')
    await new Promise(resolve => setTimeout(resolve, 20))
  }
  const session = await expectStatus(call(`${auth.url}/sessions`, { method: 'POST', json: { email, password } }), 201, 'log in')
  const account: BenchAccount = { id, email, password, token: (JSON.parse(session.body) as { accessToken: string }).accessToken }
  await expectStatus(call(`${auth.url}/verify`, { token: account.token }), 200, 'GET /verify with the bench token')
  await expectStatus(call(`${baseUsers.url}/bare/profiles/${id}`), 200, 'bare profile SELECT')

  const progress = new Progress(selected.map(scenario => ({ id: scenario.id, plannedS: scenario.planned(settings) })), log)
  const ctx: BenchContext = {
    settings,
    runId,
    prefix,
    issuer,
    audience,
    key,
    redis,
    auth,
    users,
    baseAuth,
    baseUsers,
    account,
    databaseUrl,
    reportPath: paths.markdown,
    startAuth: async (name, env) => await launch(name, 'auth', { ...authEnv, ...env }),
    startPeer: async (name, entry, env) => {
      const server = await startProcess(name, entry, [], { NODE_ENV: 'production', UV_THREADPOOL_SIZE: String(settings.uvThreadpoolSize), ...env }, logDir)
      servers.push(server)
      return server
    },
    log,
    progress
  }
  for (const { id: number, run } of selected) {
    const began = Date.now()
    progress.next()
    try {
      const result = await run(ctx)
      results.push(result)
      for (const row of result.rows) log(`  ${row.scenario}: ${row.measured} vs ${row.baseline} → ${row.value} (target ${row.target}${row.met === undefined ? '' : row.met ? ', met' : ', MISSED'})`)
      log(`  (${((Date.now() - began) / 1000).toFixed(1)} s)`)
    } catch (error) {
      harnessBroken = true
      failures.push(`${number}. ${String(error instanceof Error ? error.message : error).replaceAll('|', '/')}`)
      log(`  scenario ${number} FAILED: ${String(error instanceof Error ? error.stack : error)}`)
    }
  }
} catch (error) {
  harnessBroken = true
  failures.push(`set-up: ${String(error instanceof Error ? error.message : error).replaceAll('|', '/')}`)
  log(`bench set-up FAILED: ${String(error instanceof Error ? error.stack : error)}`)
} finally {
  loadSampler.stop()
  log('cleaning up')
  await Promise.allSettled(servers.map(async server => { await server.stop() }))
  closeAgent()
  await sql.unsafe(`DROP SCHEMA IF EXISTS ${authSchema} CASCADE; DROP SCHEMA IF EXISTS ${usersSchema} CASCADE`).catch((error: unknown) => { log(`could not drop the bench schemas: ${String(error)}`) })
  await sql.end({ timeout: 5 })
  if (redis.status === 'ready') {
    try {
      let cursor = '0'
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000)
        cursor = next
        if (keys.length > 0) await redis.unlink(...keys)
      } while (cursor !== '0')
    } catch (error) {
      log(`could not delete the bench's Redis keys (${prefix}*): ${String(error)}`)
    }
  }
  redis.disconnect()
}

const info: RunInfo = {
  date: new Date(startedAt),
  machine: describeMachine(),
  settings,
  postgres: postgresVersion,
  redis: redisVersion,
  busyBefore,
  loadAverages: loadSampler.samples,
  elapsedS: (Date.now() - startedAt) / 1000,
  note: options.note,
  only: options.only,
  failures
}
const section = renderResults(info, results)
await writeReport(paths.markdown, section)
await writeResultsJson(paths.json, resultsJson({ ...info, commit, scenarios: selected.map(scenario => scenario.id) }, results))
log(`\n${section}\n\nwritten to ${paths.markdown} and ${paths.json}`)
process.exit(harnessBroken ? 1 : 0)
