/** Scenario 9: /verify and /users/me saturated together; no errors and no memory growth. */
import type { BenchContext, ScenarioResult } from '../lib/context.js'
import { load } from '../lib/load.js'
import { count, mb, pct, rps } from '../lib/format.js'

const SAMPLE_EVERY_MS = 5_000

export async function soak (ctx: BenchContext): Promise<ScenarioResult> {
  const { soakS, warmupS } = ctx.settings
  const half = Math.max(1, Math.floor(ctx.settings.connections / 2))
  const headers = { authorization: `Bearer ${ctx.account.token}` }
  const run = async (durationS: number) => await Promise.all([
    load({ url: `${ctx.auth.url}/verify`, connections: half, headers, durationS }),
    load({ url: `${ctx.users.url}/users/me`, connections: half, headers, durationS })
  ])
  await run(warmupS)
  const before = { auth: await ctx.auth.rss(), users: await ctx.users.rss() }
  const peaks = { ...before }
  const sampler = setInterval(() => {
    void ctx.auth.rss(false).then(rss => { peaks.auth = Math.max(peaks.auth, rss) }, () => {})
    void ctx.users.rss(false).then(rss => { peaks.users = Math.max(peaks.users, rss) }, () => {})
  }, SAMPLE_EVERY_MS)
  const [verify, me] = await run(soakS)
  clearInterval(sampler)
  const after = { auth: await ctx.auth.rss(), users: await ctx.users.rss() }
  const errors = verify.errors + me.errors
  const growth = { auth: after.auth / before.auth - 1, users: after.users / before.users - 1 }
  const worst = Math.max(growth.auth, growth.users)
  const judge = (met: boolean): boolean | undefined => ctx.settings.quick ? undefined : met
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
      scenario: `9b. soak ${soakS} s: RSS growth (worse service)`,
      measured: `auth ${pct(growth.auth)}, users ${pct(growth.users)}`,
      baseline: `auth ${mb(before.auth)}, users ${mb(before.users)}`,
      value: pct(worst),
      target: '≤ 10%',
      numbers: { measured: { value: worst, unit: 'share' }, value: { value: worst, unit: 'share' } },
      met: judge(worst <= 0.1)
    }],
    details: [
      `/verify ${rps(verify.rps)} (p99 ${verify.p99.toFixed(2)} ms, ${verify.errors} errors) and /users/me ${rps(me.rps)} (p99 ${me.p99.toFixed(2)} ms, ${me.errors} errors), ${half} connections each`,
      `RSS after GC: auth ${mb(before.auth)} → ${mb(after.auth)}, users ${mb(before.users)} → ${mb(after.users)}; peaks without GC: auth ${mb(peaks.auth)}, users ${mb(peaks.users)}`
    ]
  }
}
