/**
 * Refresh races, counted at the proxies in front of the real services, whose access tokens live
 * 10 s (the services allow 5; the margin keeps "not yet due" true on a busy machine): 50 calls
 * that meet an expired token cause exactly one POST /sessions/refresh, whether the client learns
 * of the expiry from 401 `token_expired` answers (its clock disagrees with the server's) or knows
 * it beforehand; and a token is refreshed `refreshLeeway` seconds before it expires, with no 401
 * at all.
 */
import t from 'tap'
import { memoryStorage } from '../src/index.js'
import { eventually, signUp, startClientStack } from './helper.js'

const accessTokenTtl = 10

t.test('50 concurrent calls on an expired access token refresh it exactly once', async t => {
  const stack = await startClientStack(t, { ACCESS_TOKEN_TTL: String(accessTokenTtl) })

  // A client whose clock runs behind: it believes its token is good for an hour more, so only the
  // services' 401 token_expired answers tell it otherwise.
  const behindStorage = memoryStorage()
  const behind = stack.client({ storage: behindStorage, refreshLeeway: 0 })
  await signUp(behind)
  const aware = stack.client({ refreshLeeway: 0 })
  await signUp(aware)
  const early = stack.client({ refreshLeeway: 20 })
  await signUp(early)
  const seeded = await behindStorage.get()
  if (seeded === null) throw new Error('not signed in')
  await behindStorage.set({ ...seeded, expiresAt: Date.now() + 3_600_000 })
  const refreshes = (): number => stack.auth.count('POST', '/sessions/refresh')
  const unauthorized = (): number => stack.auth.seen.filter(exchange => exchange.status === 401).length +
    stack.users.seen.filter(exchange => exchange.status === 401).length

  await t.test('refreshLeeway: a call within the leeway refreshes first, and meets no 401', async t => {
    // The leeway (20 s) is capped at half the lifetime, so the refresh is due half-way through.
    const before = await early.tokens()
    t.match(await early.getMyAccount(), { roles: ['user'] })
    t.equal(refreshes(), 0, 'not yet due')
    await new Promise(resolve => setTimeout(resolve, Math.max(0, (before?.expiresAt ?? 0) - accessTokenTtl * 500 - Date.now()) + 200))
    const [unauthorizedBefore, refreshesBefore] = [unauthorized(), refreshes()]
    await Promise.all(Array.from({ length: 10 }, async () => await early.getMyProfile()))
    t.equal(refreshes() - refreshesBefore, 1, 'one refresh for ten calls')
    t.equal(unauthorized() - unauthorizedBefore, 0, 'no call met an expired token')
    t.not((await early.tokens())?.accessToken, before?.accessToken, 'the new token is stored')
  })

  // Until the services refuse the token as expired.
  await new Promise(resolve => setTimeout(resolve, Math.max(0, seeded.expiresAt - Date.now())))
  await eventually(async () => {
    const answer = await fetch(`${stack.usersUrl}/users/me`, { headers: { authorization: `Bearer ${seeded.accessToken}` } })
    return answer.status === 401 && (await answer.json() as { code: string }).code === 'token_expired'
  }, 60_000)

  await t.test('told by 401 token_expired: each call retries once after the one shared refresh', async t => {
    const [unauthorizedBefore, refreshesBefore] = [unauthorized(), refreshes()]
    const answers = await Promise.all(Array.from({ length: 50 }, async (_, index) =>
      index % 2 === 0 ? (await behind.getMyProfile()).id : (await behind.getMyAccount()).id))
    t.equal(new Set(answers).size, 1, 'all 50 calls answered, for the one account')
    t.equal(refreshes() - refreshesBefore, 1, 'exactly one POST /sessions/refresh')
    t.equal(unauthorized() - unauthorizedBefore, 50, 'each call met token_expired once, and only once')
    t.not((await behind.tokens())?.accessToken, seeded.accessToken)
  })

  await t.test('knowing the expiry: the calls wait for one refresh and meet no 401', async t => {
    const [unauthorizedBefore, refreshesBefore] = [unauthorized(), refreshes()]
    const answers = await Promise.all(Array.from({ length: 50 }, async (_, index) =>
      index % 2 === 0 ? (await aware.getMyProfile()).id : (await aware.getMyAccount()).id))
    t.equal(new Set(answers).size, 1, 'all 50 calls answered, for the one account')
    t.equal(refreshes() - refreshesBefore, 1, 'exactly one POST /sessions/refresh')
    t.equal(unauthorized() - unauthorizedBefore, 0, 'no call sent the expired token')
  })
})
