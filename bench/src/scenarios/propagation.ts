/**
 * Scenarios 6 and 8: how long a change made at the auth service takes to show at the users
 * service (separate processes, Redis between them). Each trial polls back to back over one
 * keep-alive connection, so a figure includes at most one request's round trip of slack.
 */
import { randomUUID } from 'node:crypto'
import type { BenchContext, ScenarioResult } from '../lib/context.js'
import { call, expectStatus } from '../lib/http.js'
import { mintAccessToken } from '../lib/tokens.js'
import { percentile } from '../lib/stats.js'
import { ms } from '../lib/format.js'

const GIVE_UP_MS = 5_000

/** Polls `url` until it answers `status`; returns when that answer arrived, or undefined after GIVE_UP_MS. */
async function firstAnswer (url: string, token: string, status: number, from: number): Promise<number | undefined> {
  for (;;) {
    const answer = await call(url, { token })
    if (answer.status === status) return answer.at
    if (answer.at - from > GIVE_UP_MS) return undefined
  }
}

function summary (latencies: number[], failures: number): string {
  return `p50 ${ms(percentile(latencies, 50))}, p99 ${ms(percentile(latencies, 99))}, max ${ms(Math.max(...latencies))}` +
    (failures > 0 ? `, ${failures} trials never converged within ${GIVE_UP_MS} ms` : '')
}

/** 6. Log out answered at auth → first 401 at users. */
export async function revocationPropagation (ctx: BenchContext): Promise<ScenarioResult> {
  const { trials } = ctx.settings
  const { email, password } = ctx.account
  // One session per trial, logged in up front (4 at a time, so hashing is not the bottleneck).
  const tokens: string[] = []
  for (let i = 0; i < trials; i += 4) {
    const batch = await Promise.all(Array.from({ length: Math.min(4, trials - i) }, async () =>
      await expectStatus(call(`${ctx.auth.url}/sessions`, { method: 'POST', json: { email, password } }), 201, 'log in')))
    for (const answer of batch) tokens.push((JSON.parse(answer.body) as { accessToken: string }).accessToken)
  }
  const latencies: number[] = []
  let failures = 0
  for (const token of tokens) {
    // The users service has verified (and cached) this token before the logout.
    await expectStatus(call(`${ctx.users.url}/users/me`, { token }), 200, 'profile before logout')
    const loggedOut = await expectStatus(call(`${ctx.auth.url}/sessions/current`, { method: 'DELETE', token }), 204, 'log out')
    const refused = await firstAnswer(`${ctx.users.url}/users/me`, token, 401, loggedOut.at)
    if (refused === undefined) failures++
    else latencies.push(refused - loggedOut.at)
  }
  const p99 = failures > 0 ? Number.POSITIVE_INFINITY : percentile(latencies, 99)
  return {
    id: 6,
    title: 'Revocation propagation',
    rows: [{
      scenario: `6. log out at auth → first 401 at users (${trials} trials)`,
      measured: `p99 ${ms(p99)}`,
      baseline: '—',
      value: ms(p99),
      numbers: { measured: { value: p99, unit: 'ms' }, value: { value: p99, unit: 'ms' } },
      target: 'p99 ≤ 50 ms',
      met: ctx.settings.quick ? undefined : p99 <= 50
    }],
    details: [`${summary(latencies, failures)}; measured from the 204 of DELETE /sessions/current to the first 401 of GET /users/me with the same token`]
  }
}

/** 8. Registration answered at auth → first 200 of GET /users/me. */
export async function profileAfterRegistration (ctx: BenchContext): Promise<ScenarioResult> {
  const { trials } = ctx.settings
  const latencies: number[] = []
  let failures = 0
  for (let i = 0; i < trials; i++) {
    const email = `bench-${ctx.runId}-${i}-${randomUUID().slice(0, 8)}@example.com`
    const registered = await expectStatus(call(`${ctx.auth.url}/accounts`, {
      method: 'POST', json: { email, password: ctx.account.password, name: `Bench ${i}` }
    }), 201, 'register')
    const { id } = JSON.parse(registered.body) as { id: string }
    // A token for the new account straight away (the bench holds the signing key), no log-in in between.
    const token = mintAccessToken(ctx.key, { issuer: ctx.issuer, audience: ctx.audience, sub: id, ttlSeconds: 600 })
    const visible = await firstAnswer(`${ctx.users.url}/users/me`, token, 200, registered.at)
    if (visible === undefined) failures++
    else latencies.push(visible - registered.at)
  }
  const p99 = failures > 0 ? Number.POSITIVE_INFINITY : percentile(latencies, 99)
  return {
    id: 8,
    title: 'Profile visible after registration',
    rows: [{
      scenario: `8. registration → profile at users (${trials} trials)`,
      measured: `p99 ${ms(p99)}`,
      baseline: '—',
      value: ms(p99),
      numbers: { measured: { value: p99, unit: 'ms' }, value: { value: p99, unit: 'ms' } },
      target: 'p99 ≤ 200 ms',
      met: ctx.settings.quick ? undefined : p99 <= 200
    }],
    details: [`${summary(latencies, failures)}; measured from the 201 of POST /accounts to the first 200 of GET /users/me (outbox → Redis stream → consumer group → profiles)`]
  }
}
