/**
 * The whole life of an account, and an administrator's day, through the client against the real
 * services: every method answers what the contract says, ETags travel back as If-Match on their
 * own, and problems arrive as LatchkeyError.
 */
import t from 'tap'
import { LatchkeyError } from '../src/index.js'
import { adminEmail, eventually, password, signUp, startClientStack, uniqueEmail } from './helper.js'

async function problemOf (promise: Promise<unknown>): Promise<LatchkeyError> {
  const error: unknown = await promise.then(() => undefined, (caught: unknown) => caught)
  if (!(error instanceof LatchkeyError)) throw new Error(`expected a LatchkeyError, got ${String(error)}`)
  return error
}

t.test('an account from registration to deletion, through the client', async t => {
  // Email changes apply at once here (no confirmation mail to follow).
  const stack = await startClientStack(t, { EMAIL_VERIFICATION: 'off' })
  const signedOut: unknown[] = []
  const client = stack.client({ onSignedOut: reason => { signedOut.push(reason) } })
  const email = uniqueEmail()

  const account = await client.register({ email, password, name: 'Ada Lovelace' })
  t.match(account, { email, roles: ['user'], status: 'active' })
  const taken = await problemOf(client.register({ email, password, name: 'Ada again' }))
  t.match(taken, { status: 409, code: 'email_taken', title: 'The email address is already registered' })
  const invalid = await problemOf(client.register({ email: 'not an email', password, name: 'X' }))
  t.equal(invalid.code, 'validation_failed')
  t.ok(invalid.errors !== undefined && invalid.errors.length > 0, 'a validation problem carries its errors')

  t.equal(await client.refreshSession(), null, 'refreshSession with no session stored answers null')
  const wrong = await problemOf(client.logIn({ email, password: 'not the password at all' }))
  t.match(wrong, { status: 401, code: 'invalid_credentials' })
  t.equal(await client.tokens(), null, 'a refused log in stores nothing')
  const login = await client.logIn({ email, password })
  if (login.status !== 'signed_in') throw new Error('expected to be signed in')
  t.equal((await client.tokens())?.accessToken, login.tokens.accessToken, 'log in stores the token pair')

  t.match(await client.getMyAccount(), { id: account.id, email })
  const sessions = await client.listMySessions()
  t.equal(sessions.items.length, 1)
  t.equal(sessions.items[0]?.id, login.tokens.sessionId)
  t.match(await client.verifyToken(), { sub: account.id, sid: login.tokens.sessionId, roles: ['user'] })

  await eventually(async () => await client.getMyProfile().then(() => true, () => false), 10_000)
  t.match(await client.getMyProfile(), { id: account.id, name: 'Ada Lovelace', bio: null })
  const patched = await client.updateMyProfile({ bio: 'Analyst', locale: 'en-GB' })
  t.match(patched, { bio: 'Analyst', locale: 'en-GB', name: 'Ada Lovelace' })
  const replaced = await client.replaceMyProfile({ name: 'Augusta Ada King', timezone: 'Europe/London' })
  t.match(replaced, { name: 'Augusta Ada King', bio: null, locale: null, timezone: 'Europe/London' })
  t.match(await client.getUser(account.id), { id: account.id, name: 'Augusta Ada King' })
  const found = await client.listUsers({ q: 'augusta', limit: 5 })
  t.same(found.items.map(profile => profile.id), [account.id])

  t.test('a write sends the last ETag as If-Match: a change made elsewhere is a 412, not a lost update', async t => {
    const elsewhere = stack.client()
    await elsewhere.logIn({ email, password })
    await elsewhere.updateMyProfile({ bio: 'Changed on another device' })
    const stale = await problemOf(client.updateMyProfile({ bio: 'Written over a stale read' }))
    t.match(stale, { status: 412, code: 'precondition_failed' })
    t.match(await client.getMyProfile(), { bio: 'Changed on another device' }, 'the other change survived')
    t.match(await client.updateMyProfile({ bio: 'Written after a fresh read' }), { bio: 'Written after a fresh read' })
    await elsewhere.logOut()
  })

  const newEmail = uniqueEmail()
  t.match(await client.changeMyEmail({ email: newEmail, currentPassword: password }), { email: newEmail })
  const refused = await problemOf(client.changeMyPassword({ currentPassword: 'not the password at all', newPassword: 'a new long passphrase' }))
  t.match(refused, { status: 403, code: 'invalid_password' })
  t.equal(await client.changeMyPassword({ currentPassword: password, newPassword: 'a new long passphrase' }), undefined)
  t.equal((await client.getMyAccount()).email, newEmail, 'the current session outlives its own password change')

  const other = stack.client()
  await other.logIn({ email: newEmail, password: 'a new long passphrase' })
  const otherSession = (await other.tokens())?.sessionId ?? ''
  t.equal((await client.listMySessions()).items.length, 2)
  t.equal(await client.revokeSession(otherSession), undefined)
  t.same((await client.listMySessions()).items.map(session => session.id), [login.tokens.sessionId])

  const refreshed = await client.refreshSession()
  t.not(refreshed?.refreshToken, login.tokens.refreshToken, 'refreshSession rotates the refresh token')
  t.equal(refreshed?.sessionId, login.tokens.sessionId)

  await client.logOutEverywhere()
  t.equal(await client.tokens(), null, 'log out everywhere forgets the tokens')
  t.equal(signedOut.length, 1, 'and tells onSignedOut')

  await client.logIn({ email: newEmail, password: 'a new long passphrase' })
  await client.logOut()
  t.equal(await client.tokens(), null, 'log out forgets the tokens')
  t.same(signedOut, [undefined, undefined], 'a sign-out the caller asked for has no reason')
  const anonymous = await problemOf(client.getMyAccount())
  t.match(anonymous, { status: 401, code: 'unauthorized' })

  await client.logIn({ email: newEmail, password: 'a new long passphrase' })
  const notDeleted = await problemOf(client.deleteMyAccount({ password: 'not the password at all' }))
  t.equal(notDeleted.code, 'invalid_password')
  t.equal(await client.deleteMyAccount({ password: 'a new long passphrase' }), undefined)
  t.equal(await client.tokens(), null, 'deleting the account forgets the tokens')
  t.match(await problemOf(client.logIn({ email: newEmail, password: 'a new long passphrase' })), { code: 'invalid_credentials' })
  const gone = stack.client()
  await signUp(gone)
  await eventually(async () => await gone.getUser(account.id).then(() => false, (error: unknown) => error instanceof LatchkeyError && error.code === 'not_found'), 10_000)
})

t.test('an administrator works through the client on both services', async t => {
  const stack = await startClientStack(t)
  const admin = stack.client()
  await admin.logIn({ email: adminEmail, password })
  const user = stack.client()
  const { id, email } = await signUp(user, 'Alan Turing')

  const page = await admin.listAccounts({ email })
  t.same(page.items.map(account => account.id), [id])
  t.equal(page.nextCursor, null)
  const first = await admin.listAccounts({ limit: 1 })
  t.equal(first.items.length, 1)
  t.type(first.nextCursor, 'string', 'pages carry a cursor')
  const second = await admin.listAccounts({ limit: 1, cursor: first.nextCursor ?? undefined })
  t.not(second.items[0]?.id, first.items[0]?.id)
  t.match(await admin.getAccount(id), { id, email })
  t.match(await admin.adminUpdateUser(id, { bio: 'Set by an administrator' }), { id, bio: 'Set by an administrator' })
  t.match(await user.getMyProfile(), { bio: 'Set by an administrator' })
  t.match(await problemOf(user.listAccounts()), { status: 403, code: 'forbidden' }, 'a user is not an administrator')
  t.match(await admin.updateAccount(id, { status: 'disabled' }), { status: 'disabled' })
  await eventually(async () => await user.getMyAccount().then(() => false, () => true), 5_000)
  t.equal(await user.tokens(), null, 'disabling the account signs its client out')
  t.match(await problemOf(user.logIn({ email, password })), { status: 403, code: 'account_disabled' })
  t.equal(await admin.deleteAccount(id), undefined)
  t.match(await problemOf(admin.getAccount(id)), { status: 404, code: 'not_found' })
  t.match(await problemOf(admin.getAccount('not-a-uuid')), { status: 400, code: 'validation_failed' })

  t.equal((await admin.getJwks()).keys[0]?.alg, 'EdDSA')
  for (const probe of [admin.getAuthLiveness(), admin.getAuthReadiness(), admin.getUsersLiveness(), admin.getUsersReadiness()]) {
    t.equal((await probe).status, 'ok')
  }
})
