/**
 * When a session ends behind the client's back (revoked, its refresh token reused, its account
 * disabled) the client forgets the tokens and tells onSignedOut once, after at most one refresh:
 * never a retry loop. A cut-off that leaves the session alive (a role change) is survived by that
 * one refresh, and a refresh that merely fails to reach the service signs nobody out.
 */
import t from 'tap'
import { freePort } from '@latchkey/test-support'
import { LatchkeyError, memoryStorage, type LatchkeyClient } from '../src/index.js'
import { adminEmail, eventually, password, signUp, startClientStack } from './helper.js'

async function failure (promise: Promise<unknown>): Promise<LatchkeyError> {
  const error: unknown = await promise.then(() => undefined, (caught: unknown) => caught)
  if (!(error instanceof LatchkeyError)) throw new Error(`expected a LatchkeyError, got ${String(error)}`)
  return error
}

/** Calls until the revocation has reached the users service (it must within a second). */
async function untilRefused (client: LatchkeyClient): Promise<LatchkeyError> {
  let refused: LatchkeyError | undefined
  await eventually(async () => {
    refused = await client.getMyProfile().then(() => undefined, (error: unknown) => error instanceof LatchkeyError ? error : undefined)
    return refused !== undefined
  }, 5_000)
  if (refused === undefined) throw new Error('never refused')
  return refused
}

t.test('a session revoked elsewhere ends in one onSignedOut, after one refresh and no retry loop', async t => {
  const stack = await startClientStack(t)
  const reasons: Array<LatchkeyError | undefined> = []
  const phone = stack.client({ onSignedOut: reason => { reasons.push(reason) } })
  const { email } = await signUp(phone)
  const laptop = stack.client()
  await laptop.logIn({ email, password })
  const phoneSession = (await phone.tokens())?.sessionId ?? ''

  await laptop.revokeSession(phoneSession)
  const refused = await untilRefused(phone)
  t.equal(refused.code, 'invalid_refresh_token', 'the call fails with the refused refresh')
  t.equal(await phone.tokens(), null, 'the tokens are gone')
  t.equal(reasons.length, 1, 'onSignedOut fired once')
  t.equal(reasons[0]?.code, 'invalid_refresh_token', 'with the reason')
  t.equal(stack.auth.count('POST', '/sessions/refresh'), 1, 'one refresh was tried')

  const afterwards = await Promise.all(Array.from({ length: 10 }, async () => await failure(phone.getMyProfile())))
  t.same([...new Set(afterwards.map(error => error.code))], ['unauthorized'], 'later calls go out without a token')
  t.equal(stack.auth.count('POST', '/sessions/refresh'), 1, 'and try no refresh')
  t.equal(reasons.length, 1, 'and fire no second onSignedOut')
  t.match(await laptop.getMyAccount(), { email }, 'the other session lives on')
})

t.test('20 concurrent calls on a revoked session share one refused refresh and one onSignedOut', async t => {
  const stack = await startClientStack(t)
  const reasons: Array<LatchkeyError | undefined> = []
  const client = stack.client({ onSignedOut: reason => { reasons.push(reason) } })
  const { email } = await signUp(client)
  const other = stack.client()
  await other.logIn({ email, password })
  await other.logOutEverywhere()
  // Wait for the revocation to reach both services with a token the client does not hold.
  const probe = stack.client()
  await eventually(async () => await probe.logIn({ email, password }).then(async () => {
    await probe.logOutEverywhere()
    return true
  }), 5_000)
  await eventually(async () => {
    const answer = await fetch(`${stack.usersUrl}/users/me`, { headers: { authorization: `Bearer ${(await client.tokens())?.accessToken ?? ''}` } })
    return answer.status === 401
  }, 5_000)
  const refreshesBefore = stack.auth.count('POST', '/sessions/refresh')
  const callsBefore = stack.users.count('GET', '/users/me')
  const errors = await Promise.all(Array.from({ length: 20 }, async () => await failure(client.getMyProfile())))
  const codes = new Set(errors.map(error => error.code))
  t.ok(codes.has('invalid_refresh_token'), 'the calls that waited for the refresh fail with its refusal')
  t.same([...codes].filter(code => code !== 'invalid_refresh_token' && code !== 'token_revoked'), [],
    'calls whose 401 came after it fail with their own token_revoked, retrying nothing')
  t.equal(stack.auth.count('POST', '/sessions/refresh') - refreshesBefore, 1, 'one refresh for 20 calls')
  t.equal(reasons.length, 1, 'one onSignedOut')
  t.equal(stack.users.count('GET', '/users/me') - callsBefore, 20, 'no call was retried')
})

t.test('a reused refresh token: the service revokes the session and the client signs out', async t => {
  const stack = await startClientStack(t, { REFRESH_REUSE_GRACE: '0' })
  const reasons: Array<LatchkeyError | undefined> = []
  const client = stack.client({ onSignedOut: reason => { reasons.push(reason) } })
  await signUp(client)
  const stolen = (await client.tokens())?.refreshToken ?? ''
  // Someone else redeems the refresh token first (rotation: the client's copy is now spent).
  const thief = await fetch(`${stack.authUrl}/sessions/refresh`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ refreshToken: stolen }) })
  t.equal(thief.status, 200)
  await new Promise(resolve => setTimeout(resolve, 1_100))

  const refused = await failure(client.refreshSession())
  t.equal(refused.code, 'refresh_token_reused')
  t.equal(await client.tokens(), null)
  t.equal(reasons.length, 1)
  t.equal(reasons[0]?.code, 'refresh_token_reused')
  const thiefTokens = await thief.json() as { accessToken: string }
  await eventually(async () => (await fetch(`${stack.usersUrl}/users/me`, { headers: { authorization: `Bearer ${thiefTokens.accessToken}` } })).status === 401, 5_000)
  t.pass('the thief\'s tokens die with the session')
})

t.test('a refresh due before a call and refused: the call fails with the refusal and is never sent', async t => {
  const stack = await startClientStack(t, { REFRESH_REUSE_GRACE: '0' })
  const storage = memoryStorage()
  const reasons: Array<LatchkeyError | undefined> = []
  const client = stack.client({ storage, onSignedOut: reason => { reasons.push(reason) } })
  await signUp(client)
  const tokens = await storage.get()
  if (tokens === null) throw new Error('not signed in')
  const thief = await fetch(`${stack.authUrl}/sessions/refresh`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ refreshToken: tokens.refreshToken }) })
  t.equal(thief.status, 200)
  await new Promise(resolve => setTimeout(resolve, 1_100))
  await storage.set({ ...tokens, expiresAt: Date.now() })

  t.equal((await failure(client.getMyAccount())).code, 'refresh_token_reused')
  t.equal(stack.auth.count('GET', '/accounts/me'), 0, 'the call did not go out without a token')
  t.same(reasons.map(reason => reason?.code), ['refresh_token_reused'])
})

t.test('a role change cuts off the access token but not the session: one refresh, one retry, new roles', async t => {
  const stack = await startClientStack(t)
  const reasons: Array<LatchkeyError | undefined> = []
  const client = stack.client({ onSignedOut: reason => { reasons.push(reason) } })
  const { id } = await signUp(client)
  const admin = stack.client()
  await admin.logIn({ email: adminEmail, password })
  // Cut-offs are whole seconds: a token issued in the same second as the change is not cut off.
  await new Promise(resolve => setTimeout(resolve, 1_100))
  await admin.updateAccount(id, { roles: ['user', 'admin'] })

  await eventually(async () => (await client.verifyToken()).roles.includes('admin'), 5_000)
  t.equal(stack.auth.count('POST', '/sessions/refresh'), 1, 'one refresh carried the new roles')
  t.ok(stack.auth.count('GET', '/verify', 401) >= 1, 'after a 401 token_revoked')
  t.same(reasons, [], 'nobody was signed out')
  t.ok((await client.listAccounts()).items.length > 0, 'the new role works')
})

t.test('a refresh that cannot reach the auth service keeps the tokens and signs nobody out', async t => {
  const stack = await startClientStack(t)
  const storage = memoryStorage()
  await signUp(stack.client({ storage }))
  const tokens = await storage.get()
  if (tokens === null) throw new Error('not signed in')
  // Due for a proactive refresh, through an auth URL where nothing listens.
  await storage.set({ ...tokens, expiresAt: Date.now() })
  const reasons: Array<LatchkeyError | undefined> = []
  const cutOff = stack.client({ storage, authUrl: `http://127.0.0.1:${await freePort()}`, onSignedOut: reason => { reasons.push(reason) } })
  t.match(await cutOff.getMyProfile(), { name: 'Grace Hopper' }, 'the still valid token is used')
  t.equal((await storage.get())?.refreshToken, tokens.refreshToken, 'the tokens stay')
  t.same(reasons, [])
})

t.test('clients sharing one storage: when one signs out, the other\'s onSignedOut fires on its next call', async t => {
  const stack = await startClientStack(t)
  const storage = memoryStorage()
  const first = stack.client({ storage })
  await signUp(first)
  const reasons: Array<LatchkeyError | undefined> = []
  const second = stack.client({ storage, onSignedOut: reason => { reasons.push(reason) } })
  t.match(await second.getMyAccount(), { roles: ['user'] }, 'the second client uses the shared session')
  await first.logOut()
  t.equal((await failure(second.getMyAccount())).code, 'unauthorized')
  t.same(reasons, [undefined])
})

t.test('log in that stops at a second factor resolves to mfa_required with the problem, storing nothing', async t => {
  // Two-factor log in is not served yet: this stand-in answers POST /sessions as that step is
  // specified (401 problem `mfa_required` with `mfaToken` and `methods`).
  const problem = { type: 'urn:latchkey:problem:mfa_required', title: 'A second factor is required', status: 401, detail: 'Send a code', code: 'mfa_required', mfaToken: 'opaque', methods: ['totp', 'recovery_code'] }
  const storage = memoryStorage()
  const { createLatchkeyClient } = await import('../src/index.js')
  const client = createLatchkeyClient({
    authUrl: 'http://auth.invalid',
    usersUrl: 'http://users.invalid',
    storage,
    fetch: async () => new Response(JSON.stringify(problem), { status: 401, headers: { 'content-type': 'application/problem+json' } })
  })
  const result = await client.logIn({ email: 'a@example.test', password })
  if (result.status !== 'mfa_required') return t.fail('expected mfa_required')
  t.match(result.problem, { status: 401, code: 'mfa_required' })
  t.same(result.problem.problem.methods, ['totp', 'recovery_code'], 'extension members are kept')
  t.equal(await storage.get(), null)
})
