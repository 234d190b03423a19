/**
 * Scenario 7: the revocation view holding 1,000,000 revoked sessions. Two auth-service processes
 * on the same database, each on its own Redis prefix: one with an empty revocation store, one
 * that is filled while it runs and then made to resync by cutting its Redis connections.
 */
import { randomUUID } from 'node:crypto'
import type { BenchContext, ScenarioResult } from '../lib/context.js'
import type { ServerProcess } from '../lib/processes.js'
import type { ReloadTiming } from '../lib/ipc.js'
import { call, expectStatus, wallNow } from '../lib/http.js'
import { load } from '../lib/load.js'
import { assertClean, describeCpu, describeRounds, pairedLoad, pairedNumbers } from '../lib/paired.js'
import { mintAccessToken } from '../lib/tokens.js'
import { median } from '../lib/stats.js'
import { count, mb, ms, pct, ratio, rps } from '../lib/format.js'

const BATCH = 10_000
const RESYNC_WAIT_MS = 60_000

/** Writes `total` session revocations in the feed's layout (ZSET sid → expiresAt ms), as the auth service publishes them. */
async function fillRevocations (ctx: BenchContext, prefix: string, total: number): Promise<string> {
  const key = `${prefix}revoked:sessions`
  const now = Date.now()
  let sample = ''
  for (let done = 0; done < total; done += BATCH) {
    const args: Array<string | number> = []
    for (let i = 0; i < Math.min(BATCH, total - done); i++) {
      const sid = randomUUID()
      if (sample === '') sample = sid
      // Spread over the next hour, like revocations made over one access-token lifetime.
      args.push(now + 600_000 + Math.floor(Math.random() * 3_000_000), sid)
    }
    await ctx.redis.zadd(key, ...args)
  }
  await ctx.redis.set(`${prefix}revoked:seeded`, String(now))
  return sample
}

/** Cuts every Redis connection of `server` and waits until its view has reloaded at least `expected` entries. */
async function resync (server: ServerProcess, expected: number): Promise<{ ms: number, loads: ReloadTiming[] }> {
  const dropped = await server.request({ type: 'drop-redis' }, 'dropped')
  if (dropped.count === 0) throw new Error('no Redis connection to cut')
  const deadline = wallNow() + RESYNC_WAIT_MS
  for (;;) {
    await new Promise(resolve => setTimeout(resolve, 200))
    const { reloads } = await server.request({ type: 'reloads', since: dropped.at }, 'reloads')
    const settled = reloads.length > 0 && reloads.every(r => r.appliedAt > 0)
    const last = reloads.at(-1)
    if (settled && last !== undefined && last.entries >= expected && wallNow() - last.appliedAt > 1_000) {
      return { ms: last.appliedAt - dropped.at, loads: reloads }
    }
    if (wallNow() > deadline) throw new Error(`no full resync within ${RESYNC_WAIT_MS} ms after the Redis connections were cut`)
  }
}

export async function revocationViewAtScale (ctx: BenchContext): Promise<ScenarioResult> {
  const { revokedSessions: total, connections, rounds, warmupS } = ctx.settings
  const emptyPrefix = `${ctx.prefix}s7-empty:`
  const fullPrefix = `${ctx.prefix}s7-full:`
  const empty = await ctx.startAuth('auth-s7-empty', { REDIS_PREFIX: emptyPrefix })
  const full = await ctx.startAuth('auth-s7-full', { REDIS_PREFIX: fullPrefix })
  const headers = { authorization: `Bearer ${ctx.account.token}` }

  // Both warmed up alike before the memory baseline.
  await load({ url: `${empty.url}/verify`, connections, headers, durationS: warmupS })
  await load({ url: `${full.url}/verify`, connections, headers, durationS: warmupS })
  const rssEmptyBefore = await empty.rss()
  const before = await full.request({ type: 'stats', gc: true }, 'stats')
  const rssBefore = before.rss

  ctx.log(`  writing ${count(total)} revoked sessions to Redis`)
  const sampleSid = await fillRevocations(ctx, fullPrefix, total)
  const resyncs: number[] = []
  const loadDetails: string[] = []
  for (let round = 0; round < rounds; round++) {
    ctx.progress.round(round + 1, rounds)
    const { ms: took, loads } = await resync(full, total)
    resyncs.push(took)
    loadDetails.push(loads.map(l => `load and apply ${ms(l.appliedAt - l.startedAt)} (${count(l.entries)} entries)`).join(', '))
  }
  // The view really holds them: a token of a revoked session is refused, from memory.
  const revokedToken = mintAccessToken(ctx.key, { issuer: ctx.issuer, audience: ctx.audience, sid: sampleSid, ttlSeconds: 600 })
  await expectStatus(call(`${full.url}/verify`, { token: revokedToken }), 401, 'token of a revoked session')

  await load({ url: `${full.url}/verify`, connections, headers, durationS: warmupS })
  const after = await full.request({ type: 'stats', gc: true }, 'stats')
  const rssAfter = after.rss
  const rssEmptyAfter = await empty.rss()
  const added = rssAfter - rssBefore

  const result = await pairedLoad(ctx,
    { server: empty, load: { url: `${empty.url}/verify`, connections, headers } },
    { server: full, load: { url: `${full.url}/verify`, connections, headers } })
  assertClean('/verify, empty view', result.baseline)
  assertClean(`/verify, ${total} revocations`, result.subject)
  await full.stop()
  await empty.stop()

  const resyncMs = median(resyncs)
  const judge = (met: boolean): boolean | undefined => ctx.settings.quick ? undefined : met
  const label = count(total)
  return {
    id: 7,
    title: `Revocation view with ${label} revoked sessions`,
    rows: [{
      scenario: `7a. \`/verify\` with ${label} revocations`,
      measured: rps(result.subjectRps),
      baseline: `empty view ${rps(result.baselineRps)}`,
      value: ratio(result.ratio),
      cpu: ratio(result.cpuRatio),
      target: '≥ 0.95×',
      numbers: pairedNumbers(result),
      met: judge(result.ratio >= 0.95)
    }, {
      scenario: `7b. added RSS, ${label} revocations`,
      measured: mb(added),
      baseline: `RSS before ${mb(rssBefore)}`,
      value: mb(added),
      target: '≤ 150 MB',
      numbers: { measured: { value: added, unit: 'bytes' }, baseline: { value: rssBefore, unit: 'bytes' }, value: { value: added, unit: 'bytes' } },
      met: judge(added <= 150 * 1024 * 1024)
    }, {
      scenario: `7c. full resync after Redis reconnect, ${label} entries`,
      measured: ms(resyncMs),
      baseline: '—',
      value: ms(resyncMs),
      target: '≤ 3,000 ms',
      numbers: { measured: { value: resyncMs, unit: 'ms' }, value: { value: resyncMs, unit: 'ms' } },
      met: judge(resyncMs <= 3000)
    }],
    details: [
      describeRounds('/verify, empty view', result.baseline),
      describeRounds(`/verify, ${label} revocations`, result.subject),
      describeCpu(result),
      `RSS after GC of the filled process: ${mb(rssBefore)} → ${mb(rssAfter)} (${pct(added / rssBefore)}); V8 heap used after GC: ${mb(before.heapUsed)} → ${mb(after.heapUsed)} ` +
        `(+${mb(after.heapUsed - before.heapUsed)}, what the view itself holds); the empty process's RSS meanwhile: ${mb(rssEmptyBefore)} → ${mb(rssEmptyAfter)}`,
      `resyncs (Redis connections cut → every entry applied): ${resyncs.map(ms).join(' · ')}`,
      ...loadDetails.map((line, i) => `resync ${i + 1}: ${line}`)
    ]
  }
}
