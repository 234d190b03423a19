#!/usr/bin/env node
/**
 * `pnpm capacity [--rounds=3] [--n=40] [--out=FILE]`: the measured inputs of docs/scaling.md.
 *
 * Wall-clock throughput on a shared machine says more about the neighbours than about Latchkey,
 * so this measures what does not depend on them: CPU time per request of the server process
 * (process.cpuUsage() deltas over a fixed number of requests), Redis commands per operation
 * (INFO commandstats deltas on a redis-server of its own), PostgreSQL rows, commits and WAL per
 * operation (pg_stat_user_tables, pg_waldump and LSN deltas on a PostgreSQL cluster of its own,
 * initdb'd into a temporary directory), and the revocation view's memory per million entries.
 * Then it feeds the medians to the capacity model (lib/capacity-model.ts) and prints both as
 * Markdown. Needs redis-server, initdb, pg_ctl and pg_waldump on PATH (run as root, it runs
 * PostgreSQL as the `postgres` user). A few minutes; not part of `pnpm test`.
 */
import { execFile as execFileCallback, fork, spawn, type ChildProcess } from 'node:child_process'
import { randomBytes, randomUUID } from 'node:crypto'
import { chown, mkdtemp, realpath, rm, writeFile } from 'node:fs/promises'
import { cpus, loadavg, tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs, promisify } from 'node:util'
import { hash as argonHash, verify as argonVerify } from '@node-rs/argon2'
import autocannon from 'autocannon'
import { Redis } from 'ioredis'
import postgres from 'postgres'
import { freePort } from '@latchkey/postgres-kit'
import { call, closeAgent, expectStatus } from './lib/http.js'
import { startServer, type ServerProcess } from './lib/processes.js'
import { generateBenchKey, mintAccessToken } from './lib/tokens.js'
import { median } from './lib/stats.js'
import { capacityModel, renderModel, type Measured } from './lib/capacity-model.js'

const execFile = promisify(execFileCallback)
const { values: args } = parseArgs({
  options: { rounds: { type: 'string', default: '3' }, n: { type: 'string', default: '40' }, out: { type: 'string' } },
  strict: true
})
const rounds = Number(args.rounds)
/** Operations per round for the hash-bound and writing operations; /verify and /users/me take many more. */
const n = Number(args.n)
const VERIFY_N = 20_000
const ME_N = 5_000
/** A backend flushes its table statistics at most once a second, and when idle only after 10 s. */
const PG_STATS_FLUSH_MS = 11_000
/** Rows per table for the bytes-per-row figures. */
const CLONES = 20_000

const log = (message: string): void => { process.stderr.write(`${message}\n`) }
const issuer = 'http://latchkey-capacity.invalid'
const audience = 'latchkey'
const runId = randomBytes(4).toString('hex')

const sleep = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }
const asRoot = process.getuid?.() === 0

/** PostgreSQL's bin directory: PG_BIN, or where the initdb on PATH really lives (Debian links only some tools). */
let pgBin: string | undefined
async function pgBinDir (): Promise<string> {
  pgBin ??= process.env.PG_BIN ?? dirname(await realpath((await execFile('sh', ['-c', 'command -v initdb'])).stdout.trim()))
  return pgBin
}

/** Runs a PostgreSQL binary, as `postgres` when we are root (initdb refuses root). */
async function pgTool (tool: string, toolArgs: string[]): Promise<string> {
  const path = join(await pgBinDir(), tool)
  const [file, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', path, ...toolArgs]] : [path, toolArgs]
  return (await execFile(file, argv, { maxBuffer: 16 * 1024 * 1024 })).stdout
}

// ---- the measurements ----------------------------------------------------------------------

interface Snapshot {
  at: number
  cpu: Record<'auth' | 'users', number>
  commands: Map<string, number>
  usedMemory: number
  keys: number
  lsn: string
}

interface OpResult {
  name: string
  count: number
  /** µs of CPU per operation, per round, per service. */
  cpuUs: Record<'auth' | 'users', number[]>
  /** The last round's deltas. */
  commands: Map<string, number>
  memoryBytes: number
  keys: number
  walBytes: number[]
  commits?: number
  fpiBytes?: number
  rows?: Map<string, { ins: number, upd: number, hot: number, del: number }>
}

const children: ChildProcess[] = []
let pgData: string | undefined
let pgStarted = false

async function main (): Promise<string> {
  const redisPort = await freePort()
  const pgPort = await freePort()
  log(`capacity run ${runId}: own redis-server on ${redisPort}, own PostgreSQL on ${pgPort}; load average ${loadavg().map(l => l.toFixed(1)).join(' ')}`)

  const redisServer = spawn('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' })
  children.push(redisServer)
  // Refused until redis-server listens: ioredis keeps retrying, and the first 'ready' is the start.
  const redis = new Redis({ port: redisPort, host: '127.0.0.1', maxRetriesPerRequest: 2 })
  redis.on('error', () => {})
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => { reject(new Error(`redis-server on ${redisPort} did not start within 10 s`)) }, 10_000)
    redis.once('ready', () => { clearTimeout(timer); resolve() })
  })

  pgData = await mkdtemp(join(tmpdir(), 'latchkey-capacity-pg-'))
  if (asRoot) {
    const uid = Number((await execFile('id', ['-u', 'postgres'])).stdout.trim())
    const gid = Number((await execFile('id', ['-g', 'postgres'])).stdout.trim())
    await chown(pgData, uid, gid)
  }
  await pgTool('initdb', ['-D', pgData, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync'])
  // fsync off changes how long a commit takes, not what it writes; autovacuum off keeps its WAL out of the deltas.
  await pgTool('pg_ctl', ['-D', pgData, '-w', '-l', join(pgData, 'server.log'), '-o', `-p ${pgPort} -k ${pgData} -c listen_addresses=127.0.0.1 -c fsync=off -c autovacuum=off -c track_counts=on`, 'start'])
  pgStarted = true
  const databaseUrl = `postgres://postgres@127.0.0.1:${pgPort}/postgres`
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} })
  const pgVersion = ((await sql<Array<{ v: string }>>`SELECT version() AS v`)[0]?.v ?? '').split(' on ')[0] ?? '?'
  const redisVersion = /redis_version:(\S+)/.exec(await redis.info('server'))?.[1] ?? '?'

  const logDir = await mkdtemp(join(tmpdir(), 'latchkey-capacity-logs-'))
  const key = await generateBenchKey()
  const common: Record<string, string> = {
    DATABASE_URL: databaseUrl,
    REDIS_URL: `redis://127.0.0.1:${redisPort}`,
    // Production refuses to start without a key-encryption key for its secrets at rest.
    SECRETS_KEY: randomBytes(32).toString('base64'),
    REDIS_PREFIX: 'latchkey:',
    HOST: '127.0.0.1',
    AUTH_ISSUER: issuer,
    TOKEN_AUDIENCE: audience,
    LOG_LEVEL: 'silent',
    NODE_ENV: 'production',
    EMAIL_VERIFICATION: 'off',
    SMTP_URL: 'smtp://127.0.0.1:9',
    PASSWORD_RESET_URL: 'http://app.capacity.test/reset#token={token}',
    EMAIL_VERIFICATION_URL: 'http://app.capacity.test/verify#token={token}'
  }
  const servers: ServerProcess[] = []
  try {
    // Every limit still counts (its Redis commands are part of each operation); only the maxima
    // are raised, since every request comes from one address.
    const auth = await startServer('auth', 'auth', { ...common, JWT_PRIVATE_KEY: key.privateKeyPem, RATE_LIMIT_IP_MAX: '1000000000', LOGIN_FAILURES_MAX: '1000000' }, logDir)
    servers.push(auth)
    const users = await startServer('users', 'users', { ...common, AUTH_JWKS_URL: `${auth.url}/.well-known/jwks.json` }, logDir)
    servers.push(users)
    log(`services up (logs in ${logDir})`)

    const password = randomBytes(18).toString('base64url')
    const email = (i: number | string): string => `capacity-${runId}-${i}@example.com`
    await expectStatus(call(`${auth.url}/accounts`, { method: 'POST', json: { email: email('main'), password, name: 'Capacity' } }), 201, 'register')
    const firstLogin = await expectStatus(call(`${auth.url}/sessions`, { method: 'POST', json: { email: email('main'), password } }), 201, 'log in')
    const token = (JSON.parse(firstLogin.body) as { accessToken: string }).accessToken
    for (let tries = 0; (await call(`${users.url}/users/me`, { token })).status !== 200; tries++) {
      if (tries > 500) throw new Error('the profile never reached the users service')
      await sleep(20)
    }
    const distinct = Array.from({ length: 20_000 }, () => mintAccessToken(key, { issuer, audience, ttlSeconds: 600 }))

    const unsettled = async (): Promise<number> => {
      const [row] = await sql<Array<{ n: number }>>`SELECT
        (SELECT count(*) FROM auth.outbox WHERE published_at IS NULL)::int +
        (SELECT count(*) FROM auth.revocations WHERE published_at IS NULL)::int AS n`
      return row?.n ?? 0
    }
    /** Every event relayed and applied, every revocation published: nothing of the operation still in flight. */
    const settle = async (profiles?: number): Promise<void> => {
      for (let tries = 0; tries < 600; tries++) {
        const [row] = await sql<Array<{ n: number }>>`SELECT count(*)::int AS n FROM users.profiles`
        if (await unsettled() === 0 && (profiles === undefined || (row?.n ?? 0) >= profiles)) return
        await sleep(50)
      }
      throw new Error('the relays did not settle')
    }

    const tableRows = async (): Promise<Map<string, { ins: number, upd: number, hot: number, del: number }>> => {
      const rows = new Map<string, { ins: number, upd: number, hot: number, del: number }>()
      for (const row of await sql<Array<{ name: string, ins: string, upd: string, hot: string, del: string }>>`
        SELECT schemaname || '.' || relname AS name, n_tup_ins AS ins, n_tup_upd AS upd, n_tup_hot_upd AS hot, n_tup_del AS del
        FROM pg_stat_user_tables WHERE schemaname IN ('auth', 'users')`) {
        rows.set(row.name, { ins: Number(row.ins), upd: Number(row.upd), hot: Number(row.hot), del: Number(row.del) })
      }
      return rows
    }
    const snapshot = async (): Promise<Snapshot> => {
      const commands = new Map<string, number>()
      for (const match of (await redis.info('commandstats')).matchAll(/cmdstat_([^:]+):calls=(\d+)/g)) commands.set(match[1] as string, Number(match[2]))
      const memory = Number(/used_memory:(\d+)/.exec(await redis.info('memory'))?.[1])
      const [lsnRow] = await sql<Array<{ lsn: string }>>`SELECT pg_current_wal_lsn()::text AS lsn`
      return {
        at: Date.now(),
        cpu: { auth: await auth.cpuMicros(), users: await users.cpuMicros() },
        commands,
        usedMemory: memory,
        keys: await redis.dbsize(),
        lsn: lsnRow?.lsn ?? '0/0'
      }
    }

    /** Commit records and full-page-image bytes between two LSNs, from pg_waldump --stats. */
    const walStats = async (from: string, to: string): Promise<{ commits: number, fpiBytes: number }> => {
      if (from === to) return { commits: 0, fpiBytes: 0 }
      const out = await pgTool('pg_waldump', ['-p', join(pgData as string, 'pg_wal'), '-s', from, '-e', to, '--stats=record'])
      const commits = Number(/Transaction\/COMMIT\s+(\d+)/.exec(out)?.[1] ?? 0)
      // Total  <records>  <record bytes> [<%>]  <FPI bytes> [<%>]  <combined> [100%]
      const total = /Total\s+\d+\s+\d+\s+\[[\d.]+%\]\s+(\d+)/.exec(out)
      return { commits, fpiBytes: Number(total?.[1] ?? 0) }
    }

    const diffCommands = (a: Map<string, number>, b: Map<string, number>): Map<string, number> => {
      const out = new Map<string, number>()
      for (const [name, calls] of b) {
        const delta = calls - (a.get(name) ?? 0)
        // INFO itself and the harness's DBSIZE are ours, not the services'.
        if (delta > 0 && name !== 'info' && name !== 'dbsize') out.set(name, delta)
      }
      return out
    }

    // The services' own background (relays polling, heartbeats, the consumer's blocking read):
    // measured idle, subtracted pro rata from every operation.
    const idleFrom = await snapshot()
    await sleep(5_000)
    const idleTo = await snapshot()
    const idleS = (idleTo.at - idleFrom.at) / 1000
    const background = {
      cpu: { auth: (idleTo.cpu.auth - idleFrom.cpu.auth) / idleS, users: (idleTo.cpu.users - idleFrom.cpu.users) / idleS },
      commands: new Map([...diffCommands(idleFrom.commands, idleTo.commands)].map(([name, calls]) => [name, calls / idleS]))
    }
    log(`idle background: auth ${background.cpu.auth.toFixed(0)} µs CPU/s, users ${background.cpu.users.toFixed(0)} µs CPU/s, Redis ${[...background.commands].map(([c, r]) => `${c} ${r.toFixed(1)}/s`).join(', ')}`)

    const results = new Map<string, OpResult>()
    // True while the last snapshot came after a statistics flush and nothing has run since.
    let flushed = false
    const record = async (name: string, count: number, withRows: boolean, run: () => Promise<void>, after: () => Promise<void> = async () => {}): Promise<void> => {
      if (withRows && !flushed) await sleep(PG_STATS_FLUSH_MS)
      const rowsBefore = withRows ? await tableRows() : undefined
      const before = await snapshot()
      flushed = false
      await run()
      await after()
      // CPU and Redis now, so that the statistics wait below adds no idle time to them.
      const end = await snapshot()
      let rowsAfter: Map<string, { ins: number, upd: number, hot: number, del: number }> | undefined
      if (withRows) {
        await sleep(PG_STATS_FLUSH_MS)
        rowsAfter = await tableRows()
        flushed = true
      }
      const elapsedS = (end.at - before.at) / 1000
      const result: OpResult = results.get(name) ?? { name, count, cpuUs: { auth: [], users: [] }, commands: new Map(), memoryBytes: 0, keys: 0, walBytes: [] }
      for (const service of ['auth', 'users'] as const) {
        result.cpuUs[service].push(Math.max(0, end.cpu[service] - before.cpu[service] - background.cpu[service] * elapsedS) / count)
      }
      const commands = diffCommands(before.commands, end.commands)
      for (const [command, calls] of commands) commands.set(command, Math.max(0, calls - (background.commands.get(command) ?? 0) * elapsedS) / count)
      result.commands = commands
      result.memoryBytes = (end.usedMemory - before.usedMemory) / count
      result.keys = (end.keys - before.keys) / count
      const [walRow] = await sql<Array<{ bytes: string }>>`SELECT pg_wal_lsn_diff(${end.lsn}::pg_lsn, ${before.lsn}::pg_lsn) AS bytes`
      result.walBytes.push(Number(walRow?.bytes ?? 0) / count)
      if (rowsBefore !== undefined && rowsAfter !== undefined) {
        const wal = await walStats(before.lsn, end.lsn)
        result.commits = wal.commits / count
        result.fpiBytes = wal.fpiBytes / count
        const rows = new Map<string, { ins: number, upd: number, hot: number, del: number }>()
        for (const [table, stats] of rowsAfter) {
          const was = rowsBefore.get(table) ?? { ins: 0, upd: 0, hot: 0, del: 0 }
          const delta = { ins: (stats.ins - was.ins) / count, upd: (stats.upd - was.upd) / count, hot: (stats.hot - was.hot) / count, del: (stats.del - was.del) / count }
          if (delta.ins + delta.upd + delta.del > 0) rows.set(table, delta)
        }
        result.rows = rows
      }
      results.set(name, result)
      log(`  ${name} ×${count}: auth ${result.cpuUs.auth.at(-1)?.toFixed(0)} µs, users ${result.cpuUs.users.at(-1)?.toFixed(0)} µs CPU/op, WAL ${result.walBytes.at(-1)?.toFixed(0)} B/op`)
    }

    /** `total` requests, `concurrency` at a time. */
    const pool = async <T>(total: number, concurrency: number, one: (i: number) => Promise<T>): Promise<T[]> => {
      const out: T[] = new Array<T>(total)
      let next = 0
      await Promise.all(Array.from({ length: concurrency }, async () => {
        while (next < total) { const i = next++; out[i] = await one(i) }
      }))
      return out
    }
    const cannon = async (url: string, amount: number, tokens: string[]): Promise<void> => {
      let cursor = 0
      const result = await autocannon({
        url,
        amount,
        connections: 10,
        timeout: 10,
        requests: [{ setupRequest: request => ({ ...request, headers: { authorization: `Bearer ${tokens[cursor++ % tokens.length] as string}` } }) }]
      })
      if (result['2xx'] !== amount) throw new Error(`${url}: ${result['2xx']} of ${amount} answered 2xx`)
    }

    // Warm both services' code paths before the first measured round.
    await cannon(`${auth.url}/verify`, 5_000, [token])
    await cannon(`${users.url}/users/me`, 2_000, [token])

    // …and each writing operation, so that round 1 is not the one that compiles them.
    for (let i = 0; i < 5; i++) {
      const pair = JSON.parse((await expectStatus(call(`${auth.url}/sessions`, { method: 'POST', json: { email: email('main'), password } }), 201, 'log in')).body) as { refreshToken: string }
      const next = JSON.parse((await expectStatus(call(`${auth.url}/sessions/refresh`, { method: 'POST', json: { refreshToken: pair.refreshToken } }), 200, 'refresh')).body) as { accessToken: string }
      await expectStatus(call(`${auth.url}/sessions/current`, { method: 'DELETE', token: next.accessToken }), 204, 'log out')
      await expectStatus(call(`${auth.url}/accounts`, { method: 'POST', json: { email: email(`warm-${i}`), password, name: `Capacity warm ${i}` } }), 201, 'register')
    }
    let accountsMade = 6
    await settle(accountsMade)
    for (let round = 1; round <= rounds; round++) {
      const last = round === rounds
      log(`round ${round} of ${rounds}${last ? ' (with PostgreSQL row counts: waits for the statistics flush)' : ''}`)
      let pairs: Array<{ accessToken: string, refreshToken: string }> = []
      await record('log in', n, last, async () => {
        pairs = await pool(n, 2, async () => JSON.parse((await expectStatus(call(`${auth.url}/sessions`, { method: 'POST', json: { email: email('main'), password } }), 201, 'log in')).body) as { accessToken: string, refreshToken: string })
      })
      await record('refresh', n, last, async () => {
        pairs = await pool(n, 4, async i => JSON.parse((await expectStatus(call(`${auth.url}/sessions/refresh`, { method: 'POST', json: { refreshToken: pairs[i]?.refreshToken } }), 200, 'refresh')).body) as { accessToken: string, refreshToken: string })
      })
      await record('log out', n, last, async () => {
        await pool(n, 4, async i => await expectStatus(call(`${auth.url}/sessions/current`, { method: 'DELETE', token: pairs[i]?.accessToken ?? '' }), 204, 'log out'))
      }, async () => { await settle() })
      const base = accountsMade
      await record('registration', n, last, async () => {
        await pool(n, 2, async i => await expectStatus(call(`${auth.url}/accounts`, { method: 'POST', json: { email: email(`${round}-${i}`), password, name: `Capacity ${i}` } }), 201, 'register'))
      }, async () => { await settle(base + n) })
      accountsMade += n
      await record('/verify, hot token', VERIFY_N, last, async () => { await cannon(`${auth.url}/verify`, VERIFY_N, [token]) })
      await record('/verify, distinct tokens', VERIFY_N, last, async () => { await cannon(`${auth.url}/verify`, VERIFY_N, distinct) })
      await record('/users/me', ME_N, last, async () => { await cannon(`${users.url}/users/me`, ME_N, [token]) })
    }

    // The argon2id hash alone, at the service's default cost, in this (otherwise idle) process.
    const params = { algorithm: 2 as const, memoryCost: 19456, timeCost: 2, parallelism: 1 }
    const hashed = await argonHash(password, params)
    const hashCpu: number[] = []
    const verifyCpu: number[] = []
    const verifyPairCpu: number[] = []
    for (let round = 0; round < rounds; round++) {
      let start = process.cpuUsage()
      for (let i = 0; i < 10; i++) await argonHash(password, params)
      let used = process.cpuUsage(start)
      hashCpu.push((used.user + used.system) / 10)
      start = process.cpuUsage()
      for (let i = 0; i < 10; i++) if (!await argonVerify(hashed, password)) throw new Error('argon2 verify failed')
      used = process.cpuUsage(start)
      verifyCpu.push((used.user + used.system) / 10)
      // Two at a time, as a service on a machine with three or more cores runs them (PASSWORD_HASH_CONCURRENCY 2): the cores share caches and memory bandwidth.
      start = process.cpuUsage()
      await Promise.all([0, 1].map(async () => { for (let i = 0; i < 5; i++) if (!await argonVerify(hashed, password)) throw new Error('argon2 verify failed') }))
      used = process.cpuUsage(start)
      verifyPairCpu.push((used.user + used.system) / 10)
    }

    // What each key family holds after the run (MEMORY USAGE, every key).
    const families = new Map<string, { keys: number, bytes: number, withTtl: number }>()
    let cursor = '0'
    do {
      const [next, keys] = await redis.scan(cursor, 'COUNT', 1000)
      cursor = next
      for (const k of keys) {
        const family = k.replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '<uuid>').replace(/[A-Za-z0-9_-]{22,}/g, '<id>').replace(/\d+\.\d+\.\d+\.\d+/g, '<ip>')
        const entry = families.get(family) ?? { keys: 0, bytes: 0, withTtl: 0 }
        entry.keys++
        entry.bytes += Number(await redis.memory('USAGE', k, 'SAMPLES', '0'))
        if (await redis.pttl(k) > 0) entry.withTtl++
        families.set(family, entry)
      }
    } while (cursor !== '0')
    const streamKey = [...families.keys()].find(f => f.includes('account-events') && !f.includes('dead'))
    const streamLength = streamKey === undefined ? 0 : await redis.xlen(streamKey)

    await Promise.allSettled(servers.map(async server => { await server.stop() }))
    servers.length = 0

    // Bytes per row need more rows than a few pages hold: clone what the services wrote (new
    // keys, unique values of the same length; sessions spread over the cloned accounts, as the
    // account_id index would be), then divide.
    log(`cloning rows to ${CLONES.toLocaleString('en-US')} per table for the bytes per row`)
    await sql.unsafe(`
      INSERT INTO auth.accounts SELECT (jsonb_populate_record(NULL::auth.accounts, to_jsonb(a) || jsonb_build_object(
        'id', gen_random_uuid(), 'email', md5(random()::text) || '@example.com', 'email_normalized', md5(random()::text) || '@example.com'))).*
      FROM (SELECT * FROM auth.accounts LIMIT 1) a CROSS JOIN generate_series(1, ${CLONES} - (SELECT count(*) FROM auth.accounts));
      INSERT INTO auth.sessions SELECT (jsonb_populate_record(NULL::auth.sessions, to_jsonb(s) || jsonb_build_object('id', gen_random_uuid(), 'account_id', a.id))).*
      FROM (SELECT * FROM auth.sessions ORDER BY refresh_generation DESC LIMIT 1) s CROSS JOIN auth.accounts a;
      INSERT INTO auth.outbox SELECT (jsonb_populate_record(NULL::auth.outbox, to_jsonb(o) || jsonb_build_object('id', gen_random_uuid()))).*
      FROM (SELECT * FROM auth.outbox LIMIT 1) o CROSS JOIN generate_series(1, ${CLONES} - (SELECT count(*) FROM auth.outbox));
      INSERT INTO users.profiles SELECT (jsonb_populate_record(NULL::users.profiles, to_jsonb(p) || jsonb_build_object('id', gen_random_uuid(), 'name', 'Capacity ' || g))).*
      FROM (SELECT * FROM users.profiles LIMIT 1) p CROSS JOIN generate_series(1, ${CLONES} - (SELECT count(*) FROM users.profiles)) g`)
    await sql.unsafe('VACUUM ANALYZE')
    const tableSizes = await sql<Array<{ name: string, rows: string, bytes: string }>>`
      SELECT n.nspname || '.' || c.relname AS name, c.reltuples::bigint AS rows, pg_total_relation_size(c.oid) AS bytes
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind = 'r' AND n.nspname IN ('auth', 'users')`
    const counted = new Map<string, number>()
    for (const table of ['auth.accounts', 'auth.sessions', 'auth.outbox', 'users.profiles']) {
      const [row] = await sql.unsafe<Array<{ n: number }>>(`SELECT count(*)::int AS n FROM ${table}`)
      counted.set(table, row?.n ?? 0)
    }

    // One million session revocations in the feed's layout (ZSET sid → expiresAt ms), on a key no service reads.
    log('Redis memory of 1,000,000 session revocations')
    const memoryBefore = Number(/used_memory:(\d+)/.exec(await redis.info('memory'))?.[1])
    const zkey = `capacity:${runId}:revoked:sessions`
    const now = Date.now()
    for (let done = 0; done < 1_000_000; done += 10_000) {
      const zargs: Array<string | number> = []
      for (let i = 0; i < 10_000; i++) zargs.push(now + 600_000 + Math.floor(Math.random() * 3_000_000), randomUUID())
      await redis.zadd(zkey, ...zargs)
    }
    const redisMillionBytes = Number(/used_memory:(\d+)/.exec(await redis.info('memory'))?.[1]) - memoryBefore
    await redis.unlink(zkey)

    log('revocation view memory, 1,000,000 entries (forked, --expose-gc)')
    const viewChild = fork(fileURLToPath(new URL('./capacity-view.js', import.meta.url)), ['1000000'], { execArgv: ['--expose-gc'], stdio: ['ignore', 'pipe', 'inherit', 'ipc'] })
    children.push(viewChild)
    let viewOut = ''
    viewChild.stdout?.on('data', (chunk: Buffer) => { viewOut += chunk.toString() })
    const viewCode = await new Promise<number | null>(resolve => viewChild.once('exit', resolve))
    if (viewCode !== 0) throw new Error(`capacity-view exited with ${String(viewCode)}`)
    const view = JSON.parse(viewOut) as { entries: number, applyHeapBytes: number, applyRssBytes: number, retainedRssBytes: number, loadHeapBytes: number, loadPeakRssBytes: number, loadRssBytes: number }

    await sql.end({ timeout: 5 })
    redis.disconnect()

    const medianOf = (name: string, service: 'auth' | 'users'): number => median(results.get(name)?.cpuUs[service] ?? [])
    const measured: Measured = {
      cpuUs: {
        verifyHot: medianOf('/verify, hot token', 'auth'),
        verifyDistinct: medianOf('/verify, distinct tokens', 'auth'),
        usersMe: medianOf('/users/me', 'users'),
        login: medianOf('log in', 'auth'),
        refresh: medianOf('refresh', 'auth'),
        logout: medianOf('log out', 'auth'),
        registration: medianOf('registration', 'auth'),
        registrationUsers: medianOf('registration', 'users')
      },
      redisCommands: {
        login: sum(results.get('log in')?.commands),
        refresh: sum(results.get('refresh')?.commands),
        logout: sum(results.get('log out')?.commands),
        registration: sum(results.get('registration')?.commands)
      },
      walBytes: {
        login: median(results.get('log in')?.walBytes ?? []),
        refresh: median(results.get('refresh')?.walBytes ?? []),
        logout: median(results.get('log out')?.walBytes ?? []),
        registration: median(results.get('registration')?.walBytes ?? [])
      },
      commits: {
        login: results.get('log in')?.commits ?? 0,
        refresh: results.get('refresh')?.commits ?? 0,
        logout: results.get('log out')?.commits ?? 0,
        registration: results.get('registration')?.commits ?? 0
      },
      bytesPerRow: {
        session: bytesPerRow(tableSizes, counted, 'auth.sessions'),
        account: bytesPerRow(tableSizes, counted, 'auth.accounts'),
        profile: bytesPerRow(tableSizes, counted, 'users.profiles'),
        outbox: bytesPerRow(tableSizes, counted, 'auth.outbox')
      },
      rowWrites: {
        login: rowWrites(results.get('log in')),
        refresh: rowWrites(results.get('refresh')),
        logout: rowWrites(results.get('log out')),
        registration: rowWrites(results.get('registration'))
      },
      viewBytesPerEntry: view.applyRssBytes / view.entries,
      redisBytesPerRevocation: redisMillionBytes / 1_000_000,
      counterKeyBytes: counterBytes(families),
      streamBytesPerEvent: streamLength === 0 ? 0 : (families.get(streamKey as string)?.bytes ?? 0) / streamLength
    }

    const lines: string[] = []
    lines.push(`## Capacity run ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC`, '')
    lines.push(`${cpus().length} × ${cpus()[0]?.model ?? '?'}, Node ${process.version}, ${pgVersion} (own cluster), Redis ${redisVersion} (own server); ${rounds} rounds; load average at the end ${loadavg().map(l => l.toFixed(1)).join(' ')}`, '')
    lines.push('### CPU per operation (server process, µs; median of the rounds, then every round)', '')
    lines.push('| operation | n per round | auth µs/op | users µs/op | every round (the busier service) |', '|---|---|---|---|---|')
    for (const result of results.values()) {
      const busier = median(result.cpuUs.users) > median(result.cpuUs.auth) ? 'users' : 'auth'
      lines.push(`| ${result.name} | ${result.count} | ${median(result.cpuUs.auth).toFixed(0)} | ${median(result.cpuUs.users).toFixed(0)} | ${busier}: ${result.cpuUs[busier].map(v => v.toFixed(0)).join(' · ')} |`)
    }
    lines.push(`| argon2id hash alone (m=19456, t=2, p=1) | 10 | ${median(hashCpu).toFixed(0)} | — | ${hashCpu.map(v => v.toFixed(0)).join(' · ')} |`)
    lines.push(`| argon2id verify alone | 10 | ${median(verifyCpu).toFixed(0)} | — | ${verifyCpu.map(v => v.toFixed(0)).join(' · ')} |`)
    lines.push(`| argon2id verify alone, two at a time | 10 | ${median(verifyPairCpu).toFixed(0)} | — | ${verifyPairCpu.map(v => v.toFixed(0)).join(' · ')} |`)
    lines.push('', `Idle background subtracted: auth ${background.cpu.auth.toFixed(0)} µs/s, users ${background.cpu.users.toFixed(0)} µs/s of CPU; Redis ${[...background.commands].map(([c, r]) => `${c} ${r.toFixed(2)}/s`).join(', ') || 'none'}.`, '')
    lines.push('### Redis per operation (last round)', '')
    lines.push('| operation | commands/op | by command | used_memory Δ B/op | keys Δ /op |', '|---|---|---|---|---|')
    for (const result of results.values()) {
      lines.push(`| ${result.name} | ${sum(result.commands).toFixed(2)} | ${[...result.commands].filter(([, v]) => v >= 0.005).map(([c, v]) => `${c} ${v.toFixed(2)}`).join(', ')} | ${result.memoryBytes.toFixed(0)} | ${result.keys.toFixed(2)} |`)
    }
    lines.push('', '| key family after the run | keys | with TTL | MEMORY USAGE total | per key |', '|---|---|---|---|---|')
    for (const [family, entry] of [...families].sort((a, b) => b[1].bytes - a[1].bytes)) {
      lines.push(`| \`${family}\` | ${entry.keys} | ${entry.withTtl} | ${entry.bytes} B | ${(entry.bytes / entry.keys).toFixed(0)} B |`)
    }
    lines.push('', `Account-event stream: ${streamLength} entries → ${measured.streamBytesPerEvent.toFixed(0)} B per entry.`, '')
    lines.push('### PostgreSQL per operation (last round; rows from pg_stat_user_tables, commits and FPI from pg_waldump)', '')
    lines.push('| operation | WAL B/op (rounds) | commits/op | FPI B/op | rows/op (inserted/updated (of which HOT)/deleted, by table) |', '|---|---|---|---|---|')
    for (const result of results.values()) {
      const rows = [...(result.rows ?? new Map<string, { ins: number, upd: number, hot: number, del: number }>())].map(([t, r]) => `${t} ${r.ins.toFixed(2)}/${r.upd.toFixed(2)} (${r.hot.toFixed(2)} HOT)/${r.del.toFixed(2)}`).join(', ') || '—'
      lines.push(`| ${result.name} | ${median(result.walBytes).toFixed(0)} (${result.walBytes.map(v => v.toFixed(0)).join(' · ')}) | ${(result.commits ?? 0).toFixed(2)} | ${(result.fpiBytes ?? 0).toFixed(0)} | ${rows} |`)
    }
    lines.push('', '| table | rows | total size (heap + indexes + TOAST) | per row |', '|---|---|---|---|')
    for (const table of tableSizes.sort((a, b) => a.name.localeCompare(b.name))) {
      const rowsCounted = counted.get(table.name) ?? 0
      if (rowsCounted > 0) lines.push(`| ${table.name} | ${rowsCounted} | ${table.bytes} B | ${(Number(table.bytes) / rowsCounted).toFixed(0)} B |`)
    }
    lines.push('', '### Memory of revocations', '')
    lines.push(`- RevocationView, ${view.entries.toLocaleString('en-US')} session entries applied one by one: heap +${mb(view.applyHeapBytes)}, RSS +${mb(view.applyRssBytes)} (after forced GC)`)
    lines.push(`- the same through one full load (a resync, pages of 10,000 applied as they arrive): heap +${mb(view.loadHeapBytes)}; RSS peak +${mb(view.loadPeakRssBytes)} over the empty process, +${mb(view.loadRssBytes)} after GC (the first view's freed pages partly reused: ${mb(view.retainedRssBytes)} RSS kept after it was dropped)`)
    lines.push(`- Redis, 1,000,000 members in the revocation ZSET (sid → expiresAt): used_memory +${mb(redisMillionBytes)}`)
    lines.push('', renderModel(capacityModel(measured)))
    return lines.join('\n')
  } finally {
    await Promise.allSettled(servers.map(async server => { await server.stop() }))
    closeAgent()
  }
}

function sum (map: Map<string, number> | undefined): number {
  let total = 0
  for (const value of map?.values() ?? []) total += value
  return total
}

function rowWrites (result: OpResult | undefined): number {
  let total = 0
  for (const rows of result?.rows?.values() ?? []) total += rows.ins + rows.upd + rows.del
  return total
}

/** The rate-limit counters: the key families whose every key expires (the revocation and stream keys never do). */
function counterBytes (families: Map<string, { keys: number, bytes: number, withTtl: number }>): number {
  let keys = 0
  let bytes = 0
  for (const entry of families.values()) if (entry.withTtl === entry.keys) { keys += entry.keys; bytes += entry.bytes }
  return keys === 0 ? 0 : bytes / keys
}

function bytesPerRow (sizes: Array<{ name: string, bytes: string }>, counted: Map<string, number>, table: string): number {
  const rows = counted.get(table) ?? 0
  const bytes = Number(sizes.find(s => s.name === table)?.bytes ?? 0)
  return rows === 0 ? 0 : bytes / rows
}

const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MB`

async function cleanUp (): Promise<void> {
  for (const child of children) if (child.exitCode === null) child.kill('SIGTERM')
  if (pgData !== undefined) {
    if (pgStarted) await pgTool('pg_ctl', ['-D', pgData, '-m', 'immediate', 'stop']).catch(() => {})
    await rm(pgData, { recursive: true, force: true })
  }
}

let exitCode = 0
try {
  const report = await main()
  process.stdout.write(`${report}\n`)
  if (args.out !== undefined) await writeFile(args.out, `${report}\n`)
} catch (error) {
  exitCode = 1
  log(`capacity run FAILED: ${String(error instanceof Error ? error.stack : error)}`)
} finally {
  await cleanUp()
}
process.exit(exitCode)
