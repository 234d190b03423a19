/** Scenarios 4 and 5: log-in against the hash it cannot avoid, and what log-in load does to /verify. */
import type { BenchContext, ScenarioResult } from '../lib/context.js'
import { load, type LoadOptions, type LoadResult } from '../lib/load.js'
import { assertClean } from '../lib/paired.js'
import { median, percentile } from '../lib/stats.js'
import { pacedLoad } from '../lib/http.js'
import { ms, ratio, rps } from '../lib/format.js'

/** Enough connections to keep every hashing slot busy with requests queued behind it. */
const LOGIN_CONNECTIONS = 8
/** Scenario 5: /verify at a fixed rate (latency, not saturation), like a gateway's forward-auth. */
const VERIFY_RATE = 1000
const VERIFY_SOCKETS = 32

interface Paced { p50: number, p99: number }

function loginLoad (ctx: BenchContext): Omit<LoadOptions, 'durationS'> {
  return {
    url: `${ctx.auth.url}/sessions`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: ctx.account.email, password: ctx.account.password }),
    connections: LOGIN_CONNECTIONS
  }
}

async function rawHashes (ctx: BenchContext, durationS: number): Promise<number> {
  const reply = await ctx.baseAuth.request({ type: 'hashbench', concurrency: ctx.settings.passwordHashConcurrency, durationMs: durationS * 1000 }, 'hashbench')
  return reply.count / (reply.elapsedMs / 1000)
}

/** 4. POST /sessions vs raw argon2id verification (same library, parameters, thread pool and concurrency). */
export async function login (ctx: BenchContext): Promise<ScenarioResult> {
  const { durationS, warmupS, rounds, passwordHashConcurrency, uvThreadpoolSize } = ctx.settings
  await rawHashes(ctx, warmupS)
  await load({ ...loginLoad(ctx), durationS: warmupS })
  const raw: number[] = []
  const logins: LoadResult[] = []
  for (let round = 0; round < rounds; round++) {
    raw.push(await rawHashes(ctx, durationS))
    logins.push(await load({ ...loginLoad(ctx), durationS }))
  }
  assertClean('POST /sessions', logins)
  const rawRate = median(raw)
  const loginRate = median(logins.map(r => r.rps))
  const value = loginRate / rawRate
  return {
    id: 4,
    title: 'POST /sessions (log in)',
    rows: [{
      scenario: '4. `POST /sessions` (log in)',
      measured: rps(loginRate),
      baseline: `raw @node-rs/argon2 verify ${Math.round(rawRate)}/s`,
      value: ratio(value),
      target: '≥ 0.90×',
      met: ctx.settings.quick ? undefined : value >= 0.9
    }],
    details: [
      `raw verifications/s (concurrency ${passwordHashConcurrency}, UV_THREADPOOL_SIZE=${uvThreadpoolSize}): ${raw.map(r => r.toFixed(1)).join(' · ')}`,
      `log-ins/s (${LOGIN_CONNECTIONS} connections, PASSWORD_HASH_CONCURRENCY=${passwordHashConcurrency}): ${logins.map(r => `${r.rps.toFixed(1)} (p99 ${r.p99.toFixed(1)} ms)`).join(' · ')}`
    ]
  }
}

/** 5. /verify p99 at a steady rate, idle and while log-in is saturated; log-in throughput solo and under that load. */
export async function verifyUnderLoginLoad (ctx: BenchContext): Promise<ScenarioResult> {
  const { durationS, warmupS, rounds } = ctx.settings
  const verify = async (seconds: number): Promise<Paced> => {
    const run = await pacedLoad(`${ctx.auth.url}/verify`, { token: ctx.account.token, rate: VERIFY_RATE, durationS: seconds, sockets: VERIFY_SOCKETS })
    if (run.errors > 0) throw new Error(`/verify: ${run.errors} errors in ${run.sent} requests`)
    return { p50: percentile(run.latencies, 50), p99: percentile(run.latencies, 99) }
  }
  await verify(warmupS)
  const idle: Paced[] = []
  const solo: LoadResult[] = []
  const loadedVerify: Paced[] = []
  const loadedLogin: LoadResult[] = []
  for (let round = 0; round < rounds; round++) {
    idle.push(await verify(durationS))
    solo.push(await load({ ...loginLoad(ctx), durationS }))
    const [v, l] = await Promise.all([verify(durationS), load({ ...loginLoad(ctx), durationS })])
    loadedVerify.push(v)
    loadedLogin.push(l)
  }
  assertClean('log-in', [...solo, ...loadedLogin])
  const idleP99 = median(idle.map(r => r.p99))
  const loadedP99 = median(loadedVerify.map(r => r.p99))
  const soloRate = median(solo.map(r => r.rps))
  const loadedRate = median(loadedLogin.map(r => r.rps))
  const latencyRatio = loadedP99 / idleP99
  const throughputRatio = loadedRate / soloRate
  const judge = (met: boolean): boolean | undefined => ctx.settings.quick ? undefined : met
  return {
    id: 5,
    title: '/verify while log-in is saturated',
    rows: [{
      scenario: '5a. `/verify` p99 under saturated log-in',
      measured: ms(loadedP99),
      baseline: `idle p99 ${ms(idleP99)}`,
      value: ratio(latencyRatio),
      target: '≤ 2×',
      met: judge(latencyRatio <= 2)
    }, {
      scenario: '5b. log-in throughput beside `/verify`',
      measured: rps(loadedRate),
      baseline: `solo ${rps(soloRate)}`,
      value: ratio(throughputRatio),
      target: '≥ 0.80×',
      met: judge(throughputRatio >= 0.8)
    }],
    details: [
      `/verify open-loop at ${VERIFY_RATE} req/s (latency from each request's scheduled send) over up to ${VERIFY_SOCKETS} sockets; ` +
        `log-in saturated with ${LOGIN_CONNECTIONS} connections; UV_THREADPOOL_SIZE=${ctx.settings.uvThreadpoolSize}, PASSWORD_HASH_CONCURRENCY=${ctx.settings.passwordHashConcurrency}`,
      `/verify idle p50/p99: ${idle.map(r => `${r.p50.toFixed(2)}/${r.p99.toFixed(2)} ms`).join(' · ')}`,
      `/verify under log-in load p50/p99: ${loadedVerify.map(r => `${r.p50.toFixed(2)}/${r.p99.toFixed(2)} ms`).join(' · ')}`,
      `log-in solo: ${solo.map(r => r.rps.toFixed(1)).join(' · ')} req/s; beside /verify: ${loadedLogin.map(r => r.rps.toFixed(1)).join(' · ')} req/s`
    ]
  }
}
