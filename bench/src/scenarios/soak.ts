/** Scenario 9: /verify and /users/me saturated together; no errors and no memory growth. */
import type { BenchContext, ScenarioResult } from '../lib/context.js'
import type { ServerProcess } from '../lib/processes.js'
import { load } from '../lib/load.js'
import { count, mb, pct, rps } from '../lib/format.js'

const SAMPLE_EVERY_MS = 5_000

interface Memory { rss: number, heapUsed: number, youngGeneration: number }

/** After a forced GC. */
async function memory (server: ServerProcess): Promise<Memory> {
  const { rss, heapUsed, youngGeneration } = await server.request({ type: 'stats', gc: true }, 'stats')
  return { rss, heapUsed, youngGeneration }
}

/**
 * Growth of the RSS outside V8's young generation. The young generation (bounded by V8's
 * semi-space limit) grows under allocation pressure and is given back after a while idle, so a
 * process that idled before the soak regains tens of MB of RSS in it with no object retained; a
 * leak shows in what is left.
 */
function growth (before: Memory, after: Memory): number {
  return (after.rss - after.youngGeneration) / (before.rss - before.youngGeneration) - 1
}

export async function soak (ctx: BenchContext): Promise<ScenarioResult> {
  const { soakS, warmupS } = ctx.settings
  const half = Math.max(1, Math.floor(ctx.settings.connections / 2))
  const headers = { authorization: `Bearer ${ctx.account.token}` }
  const run = async (durationS: number) => await Promise.all([
    load({ url: `${ctx.auth.url}/verify`, connections: half, headers, durationS }),
    load({ url: `${ctx.users.url}/users/me`, connections: half, headers, durationS })
  ])
  await run(warmupS)
  const before = { auth: await memory(ctx.auth), users: await memory(ctx.users) }
  const peaks = { auth: before.auth.rss, users: before.users.rss }
  const sampler = setInterval(() => {
    void ctx.auth.rss(false).then(rss => { peaks.auth = Math.max(peaks.auth, rss) }, () => {})
    void ctx.users.rss(false).then(rss => { peaks.users = Math.max(peaks.users, rss) }, () => {})
  }, SAMPLE_EVERY_MS)
  const [verify, me] = await run(soakS)
  clearInterval(sampler)
  const after = { auth: await memory(ctx.auth), users: await memory(ctx.users) }
  const errors = verify.errors + me.errors
  const grew = { auth: growth(before.auth, after.auth), users: growth(before.users, after.users) }
  const worst = Math.max(grew.auth, grew.users)
  const judge = (met: boolean): boolean | undefined => ctx.settings.quick ? undefined : met
  const outside = (m: Memory): string => mb(m.rss - m.youngGeneration)
  const change = (pick: (m: Memory) => number): string =>
    `auth ${mb(pick(before.auth))} → ${mb(pick(after.auth))}, users ${mb(pick(before.users))} → ${mb(pick(after.users))}`
  return {
    id: 9,
    title: `Soak, ${soakS} s`,
    rows: [{
      scenario: `9a. soak ${soakS} s: errors`,
      measured: `${count(verify.ok + me.ok)} requests`,
      baseline: '—',
      value: count(errors),
      target: '0',
      numbers: { measured: { value: verify.ok + me.ok, unit: 'count' }, value: { value: errors, unit: 'count' } },
      met: judge(errors === 0)
    }, {
      scenario: `9b. soak ${soakS} s: RSS growth outside V8's young generation (worse service)`,
      measured: `auth ${pct(grew.auth)}, users ${pct(grew.users)}`,
      baseline: `auth ${outside(before.auth)}, users ${outside(before.users)}`,
      value: pct(worst),
      target: '≤ 10%',
      numbers: { measured: { value: worst, unit: 'share' }, value: { value: worst, unit: 'share' } },
      met: judge(worst <= 0.1)
    }],
    details: [
      `/verify ${rps(verify.rps)} (p99 ${verify.p99.toFixed(2)} ms, ${verify.errors} errors) and /users/me ${rps(me.rps)} (p99 ${me.p99.toFixed(2)} ms, ${me.errors} errors), ${half} connections each`,
      `RSS after GC: ${change(m => m.rss)} (raw growth auth ${pct(after.auth.rss / before.auth.rss - 1)}, users ${pct(after.users.rss / before.users.rss - 1)}); peaks without GC: auth ${mb(peaks.auth)}, users ${mb(peaks.users)}`,
      `of which V8's young generation: ${change(m => m.youngGeneration)}; V8 heap used after GC (live objects): ${change(m => m.heapUsed)}`
    ]
  }
}
