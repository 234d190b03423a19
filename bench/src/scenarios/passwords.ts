/**
 * Scenarios 4 and 5: log-in against the hash it cannot avoid, and what log-in load does to
 * /verify. The levers are the libuv pool size and the auth service's hashing concurrency; a full
 * run also measures the other hashing concurrency on a second auth process, for the record.
 */
import type { BenchContext, ScenarioResult } from '../lib/context.js'
import type { ServerProcess } from '../lib/processes.js'
import { load, type LoadOptions, type LoadResult } from '../lib/load.js'
import { assertClean } from '../lib/paired.js'
import { median, percentile } from '../lib/stats.js'
import { pacedLoad } from '../lib/http.js'
import { ms, ratio, rps } from '../lib/format.js'

/** Enough connections to keep every hashing slot busy with requests queued behind it. */
export const LOGIN_CONNECTIONS = 8
/** Scenario 5: /verify at a fixed rate (latency, not saturation), like a gateway's forward-auth. */
const VERIFY_RATE = 1000
const VERIFY_SOCKETS = 32

interface Paced { p50: number, p99: number }

/** An auth process and the hashing concurrency it was started with. */
interface Lever { auth: ServerProcess, concurrency: number }

export function loginLoad (ctx: BenchContext, auth: ServerProcess): Omit<LoadOptions, 'durationS'> {
  return {
    url: `${auth.url}/sessions`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: ctx.account.email, password: ctx.account.password }),
    connections: LOGIN_CONNECTIONS
  }
}

/** Raw verifications per second in the baseline process (same UV_THREADPOOL_SIZE), `concurrency` in flight. */
async function rawHashes (ctx: BenchContext, concurrency: number, durationS: number): Promise<{ rate: number, cpuPerHash: number }> {
  const before = await ctx.baseAuth.cpuMicros()
  const reply = await ctx.baseAuth.request({ type: 'hashbench', concurrency, durationMs: durationS * 1000 }, 'hashbench')
  const after = await ctx.baseAuth.cpuMicros()
  return { rate: reply.count / (reply.elapsedMs / 1000), cpuPerHash: (after - before) / Math.max(1, reply.count) }
}

interface LoginFigures {
  raw: number[]
  logins: LoadResult[]
  ratio: number
  rawRate: number
  loginRate: number
  /** Process CPU (all threads) per raw verification and per log-in, µs (medians). */
  cpuPerHash: number
  cpuPerLogin: number
}

async function measureLogin (ctx: BenchContext, lever: Lever): Promise<LoginFigures> {
  const { durationS, warmupS, rounds } = ctx.settings
  await rawHashes(ctx, lever.concurrency, warmupS)
  await load({ ...loginLoad(ctx, lever.auth), durationS: warmupS })
  const raw: number[] = []
  const hashCpu: number[] = []
  const logins: LoadResult[] = []
  const loginCpu: number[] = []
  for (let round = 0; round < rounds; round++) {
    const hashes = await rawHashes(ctx, lever.concurrency, durationS)
    raw.push(hashes.rate)
    hashCpu.push(hashes.cpuPerHash)
    const before = await lever.auth.cpuMicros()
    const run = await load({ ...loginLoad(ctx, lever.auth), durationS })
    loginCpu.push((await lever.auth.cpuMicros() - before) / Math.max(1, run.ok))
    logins.push(run)
  }
  assertClean('POST /sessions', logins)
  const rawRate = median(raw)
  const loginRate = median(logins.map(r => r.rps))
  return { raw, logins, rawRate, loginRate, ratio: loginRate / rawRate, cpuPerHash: median(hashCpu), cpuPerLogin: median(loginCpu) }
}

interface MixFigures {
  idle: Paced[]
  solo: LoadResult[]
  loadedVerify: Paced[]
  loadedLogin: LoadResult[]
  /** /verify beside raw verifications at the same concurrency in the baseline process: what the hash alone costs it. */
  besideRaw: Paced[]
  idleP99: number
  loadedP99: number
  besideRawP99: number
  soloRate: number
  loadedRate: number
}

async function measureMix (ctx: BenchContext, lever: Lever): Promise<MixFigures> {
  const { durationS, warmupS, rounds } = ctx.settings
  const verify = async (seconds: number): Promise<Paced> => {
    const run = await pacedLoad(`${lever.auth.url}/verify`, { token: ctx.account.token, rate: VERIFY_RATE, durationS: seconds, sockets: VERIFY_SOCKETS })
    if (run.errors > 0) throw new Error(`/verify: ${run.errors} errors in ${run.sent} requests`)
    return { p50: percentile(run.latencies, 50), p99: percentile(run.latencies, 99) }
  }
  await verify(warmupS)
  const figures: MixFigures = { idle: [], solo: [], loadedVerify: [], loadedLogin: [], besideRaw: [], idleP99: 0, loadedP99: 0, besideRawP99: 0, soloRate: 0, loadedRate: 0 }
  for (let round = 0; round < rounds; round++) {
    figures.idle.push(await verify(durationS))
    figures.solo.push(await load({ ...loginLoad(ctx, lever.auth), durationS }))
    const [v, l] = await Promise.all([verify(durationS), load({ ...loginLoad(ctx, lever.auth), durationS })])
    figures.loadedVerify.push(v)
    figures.loadedLogin.push(l)
    const [floor] = await Promise.all([verify(durationS), rawHashes(ctx, lever.concurrency, durationS)])
    figures.besideRaw.push(floor)
  }
  assertClean('log-in', [...figures.solo, ...figures.loadedLogin])
  figures.idleP99 = median(figures.idle.map(r => r.p99))
  figures.loadedP99 = median(figures.loadedVerify.map(r => r.p99))
  figures.besideRawP99 = median(figures.besideRaw.map(r => r.p99))
  figures.soloRate = median(figures.solo.map(r => r.rps))
  figures.loadedRate = median(figures.loadedLogin.map(r => r.rps))
  return figures
}

const judge = (ctx: BenchContext, met: boolean): boolean | undefined => ctx.settings.quick ? undefined : met

/** 4. POST /sessions vs raw argon2id verification (same library, parameters, thread pool and concurrency). */
export async function login (ctx: BenchContext): Promise<ScenarioResult> {
  const { passwordHashConcurrency, uvThreadpoolSize } = ctx.settings
  const figures = await measureLogin(ctx, { auth: ctx.auth, concurrency: passwordHashConcurrency })
  return {
    id: 4,
    title: 'POST /sessions (log in)',
    rows: [{
      scenario: '4. `POST /sessions` (log in)',
      measured: rps(figures.loginRate),
      baseline: `raw @node-rs/argon2 verify ${Math.round(figures.rawRate)}/s`,
      value: ratio(figures.ratio),
      cpu: ratio(figures.cpuPerLogin / figures.cpuPerHash),
      target: '≥ 0.90×',
      numbers: {
        measured: { value: figures.loginRate, unit: 'req/s' },
        baseline: { value: figures.rawRate, unit: '/s' },
        value: { value: figures.ratio, unit: '×' },
        cpu: figures.cpuPerLogin / figures.cpuPerHash
      },
      met: judge(ctx, figures.ratio >= 0.9)
    }],
    details: [
      `raw verifications/s (concurrency ${passwordHashConcurrency}, UV_THREADPOOL_SIZE=${uvThreadpoolSize}): ${figures.raw.map(r => r.toFixed(1)).join(' · ')}`,
      `log-ins/s (${LOGIN_CONNECTIONS} connections, PASSWORD_HASH_CONCURRENCY=${passwordHashConcurrency}): ${figures.logins.map(r => `${r.rps.toFixed(1)} (p99 ${r.p99.toFixed(1)} ms)`).join(' · ')}`,
      `process CPU, all threads (PostgreSQL's own CPU not included): ${(figures.cpuPerHash / 1000).toFixed(2)} ms per raw verification, ${(figures.cpuPerLogin / 1000).toFixed(2)} ms per log-in ` +
        `(${((figures.cpuPerLogin - figures.cpuPerHash) / 1000).toFixed(2)} ms of log-in work beside the hash)`
    ]
  }
}

/** 5. /verify p99 at a steady rate, idle and while log-in is saturated; log-in throughput solo and under that load. */
export async function verifyUnderLoginLoad (ctx: BenchContext): Promise<ScenarioResult> {
  const { passwordHashConcurrency, uvThreadpoolSize } = ctx.settings
  const mix = await measureMix(ctx, { auth: ctx.auth, concurrency: passwordHashConcurrency })
  const latencyRatio = mix.loadedP99 / mix.idleP99
  const floorRatio = mix.besideRawP99 / mix.idleP99
  const throughputRatio = mix.loadedRate / mix.soloRate
  const details = [
    `/verify open-loop at ${VERIFY_RATE} req/s (latency from each request's scheduled send) over up to ${VERIFY_SOCKETS} sockets; ` +
      `log-in saturated with ${LOGIN_CONNECTIONS} connections; UV_THREADPOOL_SIZE=${uvThreadpoolSize}, PASSWORD_HASH_CONCURRENCY=${passwordHashConcurrency}`,
    `/verify idle p50/p99: ${mix.idle.map(r => `${r.p50.toFixed(2)}/${r.p99.toFixed(2)} ms`).join(' · ')}`,
    `/verify under log-in load p50/p99: ${mix.loadedVerify.map(r => `${r.p50.toFixed(2)}/${r.p99.toFixed(2)} ms`).join(' · ')}`,
    `/verify beside raw argon2id verifications (concurrency ${passwordHashConcurrency}, saturated, in the baseline process) p50/p99: ${mix.besideRaw.map(r => `${r.p50.toFixed(2)}/${r.p99.toFixed(2)} ms`).join(' · ')}; ` +
      `under log-in ÷ beside raw hashes: ${ratio(mix.loadedP99 / mix.besideRawP99)}`,
    `log-in solo: ${mix.solo.map(r => r.rps.toFixed(1)).join(' · ')} req/s; beside /verify: ${mix.loadedLogin.map(r => r.rps.toFixed(1)).join(' · ')} req/s`
  ]
  if (!ctx.settings.quick) {
    // The other setting of the lever, measured the same way on a second auth process.
    const concurrency = passwordHashConcurrency === 1 ? 2 : 1
    const auth = await ctx.startAuth(`auth-hash-${concurrency}`, { PASSWORD_HASH_CONCURRENCY: String(concurrency) })
    const other = await measureLogin(ctx, { auth, concurrency })
    const otherMix = await measureMix(ctx, { auth, concurrency })
    await auth.stop()
    details.push(
      `for comparison, PASSWORD_HASH_CONCURRENCY=${concurrency} (same UV_THREADPOOL_SIZE=${uvThreadpoolSize}): log-in ${rps(other.loginRate)} vs raw ${Math.round(other.rawRate)}/s = ${ratio(other.ratio)} (scenario 4); ` +
        `/verify p99 ${ms(otherMix.idleP99)} idle → ${ms(otherMix.loadedP99)} under log-in = ${ratio(otherMix.loadedP99 / otherMix.idleP99)} ` +
        `(beside raw hashes ${ms(otherMix.besideRawP99)} = ${ratio(otherMix.besideRawP99 / otherMix.idleP99)}); ` +
        `log-in ${rps(otherMix.soloRate)} solo → ${rps(otherMix.loadedRate)} beside /verify = ${ratio(otherMix.loadedRate / otherMix.soloRate)}`
    )
  }
  return {
    id: 5,
    title: '/verify while log-in is saturated',
    rows: [{
      scenario: '5a. `/verify` p99 under saturated log-in',
      measured: ms(mix.loadedP99),
      baseline: `idle p99 ${ms(mix.idleP99)}`,
      value: ratio(latencyRatio),
      target: '≤ 2×',
      numbers: { measured: { value: mix.loadedP99, unit: 'ms' }, baseline: { value: mix.idleP99, unit: 'ms' }, value: { value: latencyRatio, unit: '×' } },
      met: judge(ctx, latencyRatio <= 2)
    }, {
      scenario: '5a′. `/verify` p99 beside raw argon2id hashing in another process (the floor of 5a)',
      measured: ms(mix.besideRawP99),
      baseline: `idle p99 ${ms(mix.idleP99)}`,
      value: ratio(floorRatio),
      target: 'none (no log-in at all)',
      numbers: { measured: { value: mix.besideRawP99, unit: 'ms' }, baseline: { value: mix.idleP99, unit: 'ms' }, value: { value: floorRatio, unit: '×' } },
      met: undefined
    }, {
      scenario: '5b. log-in throughput beside `/verify`',
      measured: rps(mix.loadedRate),
      baseline: `solo ${rps(mix.soloRate)}`,
      value: ratio(throughputRatio),
      target: '≥ 0.80×',
      numbers: { measured: { value: mix.loadedRate, unit: 'req/s' }, baseline: { value: mix.soloRate, unit: 'req/s' }, value: { value: throughputRatio, unit: '×' } },
      met: judge(ctx, throughputRatio >= 0.8)
    }],
    details
  }
}
