/** Scenarios 1–3: the guarded routes against bare routes doing only the unavoidable work. */
import type { BenchContext, ScenarioResult } from '../lib/context.js'
import { assertClean, describeCpu, describeRounds, pairedLoad, pairedNumbers } from '../lib/paired.js'
import { mintAccessToken } from '../lib/tokens.js'
import { ratio, rps } from '../lib/format.js'

const judge = (ctx: BenchContext, met: boolean): boolean | undefined => ctx.settings.quick ? undefined : met

/**
 * 1. GET /verify with one hot token vs a bare route with the same server options; then (1′) the
 * bare route against itself answering every header a /verify answer carries, which bounds what
 * any guard could reach while answering the contract's headers.
 */
export async function hotTokenVerify (ctx: BenchContext): Promise<ScenarioResult> {
  const { connections } = ctx.settings
  const auth = { authorization: `Bearer ${ctx.account.token}` }
  const bare = { server: ctx.baseAuth, load: { url: `${ctx.baseAuth.url}/bare`, connections, headers: auth } }
  const result = await pairedLoad(ctx, bare, { server: ctx.auth, load: { url: `${ctx.auth.url}/verify`, connections, headers: auth } })
  assertClean('bare route', result.baseline)
  assertClean('GET /verify', result.subject)
  const ceiling = await pairedLoad(ctx, bare, { server: ctx.baseAuth, load: { url: `${ctx.baseAuth.url}/bare/contract-headers`, connections, headers: auth } })
  assertClean('bare route', ceiling.baseline)
  assertClean('bare route with the headers of /verify', ceiling.subject)
  return {
    id: 1,
    title: 'GET /verify, one hot token',
    rows: [{
      scenario: '1. `GET /verify`, hot token',
      measured: rps(result.subjectRps),
      baseline: `bare route ${rps(result.baselineRps)}`,
      value: ratio(result.ratio),
      cpu: ratio(result.cpuRatio),
      target: '≥ 0.80×',
      numbers: pairedNumbers(result),
      met: judge(ctx, result.ratio >= 0.8)
    }, {
      scenario: '1′. bare route answering the headers of `/verify` (the ceiling of 1)',
      measured: rps(ceiling.subjectRps),
      baseline: `bare route ${rps(ceiling.baselineRps)}`,
      value: ratio(ceiling.ratio),
      cpu: ratio(ceiling.cpuRatio),
      target: 'none (no guard at all)',
      numbers: pairedNumbers(ceiling),
      met: undefined
    }],
    details: [
      describeRounds('bare route', result.baseline),
      describeRounds('GET /verify', result.subject),
      describeCpu(result),
      describeRounds('bare route (1′)', ceiling.baseline),
      describeRounds('bare route answering the headers of /verify', ceiling.subject),
      describeCpu(ceiling),
      `GET /verify ÷ the bare route answering its headers: ${ratio(result.ratio / ceiling.ratio)} throughput, ${ratio(result.cpuRatio / ceiling.cpuRatio)} CPU per request (each against its own pair's bare route)`
    ]
  }
}

/**
 * 2. GET /verify with distinct valid tokens round-robin (every one a cache miss) vs a bare Ed25519
 * verify of the same tokens; then (2′) the bare verify against itself answering /verify's headers,
 * the ceiling of 2 as 1′ is of 1.
 */
export async function distinctTokensVerify (ctx: BenchContext): Promise<ScenarioResult> {
  const { connections, distinctTokens } = ctx.settings
  ctx.log(`  minting ${distinctTokens.toLocaleString('en-US')} access tokens`)
  const tokens = Array.from({ length: distinctTokens }, () => mintAccessToken(ctx.key, { issuer: ctx.issuer, audience: ctx.audience, ttlSeconds: 3600 }))
  const bare = { server: ctx.baseAuth, load: { url: `${ctx.baseAuth.url}/bare/verify`, connections, tokens } }
  const result = await pairedLoad(ctx, bare, { server: ctx.auth, load: { url: `${ctx.auth.url}/verify`, connections, tokens } })
  assertClean('bare Ed25519 verify', result.baseline)
  assertClean('GET /verify (distinct tokens)', result.subject)
  const ceiling = await pairedLoad(ctx, bare, { server: ctx.baseAuth, load: { url: `${ctx.baseAuth.url}/bare/verify/contract-headers`, connections, tokens } })
  assertClean('bare Ed25519 verify', ceiling.baseline)
  assertClean('bare Ed25519 verify with the headers of /verify', ceiling.subject)
  return {
    id: 2,
    title: `GET /verify, ${distinctTokens.toLocaleString('en-US')} distinct tokens round-robin`,
    rows: [{
      scenario: `2. \`GET /verify\`, ${distinctTokens.toLocaleString('en-US')} distinct tokens`,
      measured: rps(result.subjectRps),
      baseline: `bare Ed25519 verify ${rps(result.baselineRps)}`,
      value: ratio(result.ratio),
      cpu: ratio(result.cpuRatio),
      target: '≥ 0.85×',
      numbers: pairedNumbers(result),
      met: judge(ctx, result.ratio >= 0.85)
    }, {
      scenario: '2′. bare Ed25519 verify answering the headers of `/verify` (the ceiling of 2)',
      measured: rps(ceiling.subjectRps),
      baseline: `bare Ed25519 verify ${rps(ceiling.baselineRps)}`,
      value: ratio(ceiling.ratio),
      cpu: ratio(ceiling.cpuRatio),
      target: 'none (no claims, cache or revocation checks)',
      numbers: pairedNumbers(ceiling),
      met: undefined
    }],
    details: [
      describeRounds('bare Ed25519 verify', result.baseline),
      describeRounds('GET /verify', result.subject),
      describeCpu(result),
      describeRounds('bare Ed25519 verify (2′)', ceiling.baseline),
      describeRounds('bare Ed25519 verify answering the headers of /verify', ceiling.subject),
      describeCpu(ceiling),
      `GET /verify ÷ the bare verify answering its headers: ${ratio(result.ratio / ceiling.ratio)} throughput, ${ratio(result.cpuRatio / ceiling.cpuRatio)} CPU per request (each against its own pair's bare verify)`,
      'The verifier caches at most 10,000 tokens (two generations of 5,000); round-robin over more than that misses on every request.'
    ]
  }
}

/** 3. GET /users/me vs a bare route doing the same primary-key SELECT through postgres.js. */
export async function profileRead (ctx: BenchContext): Promise<ScenarioResult> {
  const { connections } = ctx.settings
  const auth = { authorization: `Bearer ${ctx.account.token}` }
  const result = await pairedLoad(ctx,
    { server: ctx.baseUsers, load: { url: `${ctx.baseUsers.url}/bare/profiles/${ctx.account.id}`, connections } },
    { server: ctx.users, load: { url: `${ctx.users.url}/users/me`, connections, headers: auth } })
  assertClean('bare PK SELECT', result.baseline)
  assertClean('GET /users/me', result.subject)
  return {
    id: 3,
    title: 'GET /users/me',
    rows: [{
      scenario: '3. `GET /users/me`',
      measured: rps(result.subjectRps),
      baseline: `bare PK SELECT ${rps(result.baselineRps)}`,
      value: ratio(result.ratio),
      cpu: ratio(result.cpuRatio),
      target: '≥ 0.85×',
      numbers: pairedNumbers(result),
      met: judge(ctx, result.ratio >= 0.85)
    }],
    details: [describeRounds('bare PK SELECT', result.baseline), describeRounds('GET /users/me', result.subject), describeCpu(result)]
  }
}
