/**
 * Signing-key rotation with both services up on real PostgreSQL and Redis: a rotation under load
 * costs no request, an emergency one kills the old key's tokens everywhere within a second. Short
 * KEY_PUBLISH_DELAY and JWKS_REFRESH_INTERVAL keep it to a few seconds.
 */
import t from 'tap'
import type { TokenPair } from '@latchkey/contracts'
import { signUp, startTestStack, until, type TestStack } from './helper.js'

const PUBLISH_DELAY = 2

function kidOf (token: string): string {
  return (JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString()) as { kid: string }).kid
}

const sleep = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }

function probes (client: TestStack): { tokenLifetimeSeconds: number, statusAt: (base: string, path: string, token: string) => Promise<number>, jwksKids: () => Promise<string[]> } {
  return {
    tokenLifetimeSeconds: client.stack.authConfig.ACCESS_TOKEN_TTL + client.stack.authConfig.TOKEN_LEEWAY,
    statusAt: async (base, path, token) => (await client.call(base, 'GET', path, { token })).status,
    jwksKids: async () => (await client.call<{ keys: Array<{ kid: string }> }>(client.auth, 'GET', '/.well-known/jwks.json')).body.keys.map(key => key.kid)
  }
}

t.test('signing-key rotation across both services (ASVS 13.3.4, 13.3.1)', async t => {
  const client = await startTestStack(t, { KEY_PUBLISH_DELAY: String(PUBLISH_DELAY), JWKS_REFRESH_INTERVAL: '1', JWKS_REFETCH_INTERVAL: '1' }, 'rot')
  const { auth, users, stack } = client
  const { tokenLifetimeSeconds, statusAt, jwksKids } = probes(client)

  t.test('rotate under /verify and /users/me load with tokens of both keys in flight: zero unexpected 401s', async t => {
    const user = await signUp(client)
    await until(async () => await statusAt(users, '/users/me', user.accessToken) === 200, 3000)
    const oldKid = kidOf(user.accessToken)
    const tokens = [user.accessToken]
    const failures: string[] = []
    let checks = 0
    const run = { stopped: false }
    // Every live token, old and new, at both services, as fast as four clients go.
    const worker = async (): Promise<void> => {
      while (!run.stopped) {
        const token = tokens[Math.floor(Math.random() * tokens.length)] ?? ''
        const [verify, me] = await Promise.all([statusAt(auth, '/verify', token), statusAt(users, '/users/me', token)])
        checks++
        if (verify !== 200) failures.push(`/verify ${verify} (kid ${kidOf(token)})`)
        if (me !== 200) failures.push(`/users/me ${me} (kid ${kidOf(token)})`)
      }
    }
    const workers = [worker(), worker(), worker(), worker()]

    const rotation = await stack.auth.signingKeys.rotate({ publishDelaySeconds: PUBLISH_DELAY, tokenLifetimeSeconds, revokeOld: false })
    t.same((await jwksKids()).sort(), [oldKid, rotation.kid].sort(), 'the new key is published at once, beside the old one')
    t.same(rotation.retiring.map(key => key.kid), [oldKid])
    t.ok((rotation.retiring[0]?.retiredAt.getTime() ?? 0) >= rotation.activatesAt.getTime() + tokenLifetimeSeconds * 1000, 'the old key stays published until its last token has expired')
    // Tokens minted before, across and after the switch: refresh through it.
    let refreshToken = user.refreshToken
    while (Date.now() < rotation.activatesAt.getTime() + 1000) {
      const refreshed = await client.call<TokenPair>(auth, 'POST', '/sessions/refresh', { body: { refreshToken } })
      if (refreshed.status !== 200) throw new Error(`refresh: ${refreshed.status}`)
      refreshToken = refreshed.body.refreshToken
      tokens.push(refreshed.body.accessToken)
      await sleep(100)
    }
    run.stopped = true
    await Promise.all(workers)
    const kids = tokens.map(kidOf)
    t.ok(kids.includes(oldKid) && kids.includes(rotation.kid), 'tokens of both keys were in flight')
    t.equal(kids.at(-1), rotation.kid, 'the new key signs once its time has come')
    t.ok(kids.indexOf(rotation.kid) > 0 && kids.slice(kids.indexOf(rotation.kid)).every(kid => kid === rotation.kid), 'and no replica went back to the old one')
    t.ok(checks > 20, `load ran (${checks} checks of both services)`)
    t.same(failures, [], 'every check answered 200')
  })
})

t.test('emergency signing-key rotation across both services, with the guards\' default JWKS intervals (ASVS 13.3.4)', async t => {
  const client = await startTestStack(t, { KEY_PUBLISH_DELAY: String(PUBLISH_DELAY) }, 'rot')
  const { auth, users, stack } = client
  const { tokenLifetimeSeconds, statusAt, jwksKids } = probes(client)

  t.test('--revoke-old: the old key\'s tokens are refused by both services within a second, cached or not, and the new key\'s are taken at once', async t => {
    const user = await signUp(client)
    await until(async () => await statusAt(users, '/users/me', user.accessToken) === 200, 3000)
    t.equal(await statusAt(auth, '/verify', user.accessToken), 200, 'verified (and cached) at auth')
    const oldKid = kidOf(user.accessToken)

    const rotation = await stack.auth.signingKeys.rotate({ publishDelaySeconds: PUBLISH_DELAY, tokenLifetimeSeconds, revokeOld: true })
    t.ok(rotation.revoked.includes(oldKid))
    // Nothing published by hand: the running relay carries the durable revocation row.
    const refusedEverywhere = async (): Promise<boolean> =>
      await statusAt(auth, '/verify', user.accessToken) === 401 && await statusAt(users, '/users/me', user.accessToken) === 401
    const elapsed = await until(refusedEverywhere, 1000)
    t.ok(elapsed <= 1000, `refused by both services after ${Math.round(elapsed)} ms`)
    t.notOk((await jwksKids()).includes(oldKid), 'and gone from the JWKS')

    const fresh = await signUp(client)
    t.equal(kidOf(fresh.accessToken), rotation.kid, 'the new key signs at once')
    t.equal(await statusAt(auth, '/verify', fresh.accessToken), 200)
    // The withdrawal, carried by the revocation feed, tells the users guard its key set changed:
    // without that it would refuse the new key for up to JWKS_REFETCH_INTERVAL (10 s here).
    t.ok(await until(async () => await statusAt(users, '/users/me', fresh.accessToken) === 200, 1000) <= 1000, 'and the users service takes its tokens within a second')
  })
})
