import t from 'tap'
import { randomUUID } from 'node:crypto'
import type { Profile, TokenPair } from '@latchkey/contracts'
import { adminEmail, password, signUp, startTestStack, until } from './helper.js'

t.test('across services (auth + users in one process, real HTTP, Redis feed and stream)', async t => {
  const client = await startTestStack(t)
  const { auth, users } = client
  const profileOf = async (token: string) => await client.call<Profile>(users, 'GET', '/users/me', { token })
  const revokedAtUsers = async (token: string) => {
    const response = await client.call(users, 'GET', '/users/me', { token })
    return response.status === 401 && response.body.code === 'token_revoked'
  }

  t.test('registration creates the profile with the registered name', async t => {
    const user = await signUp(client, 'Katherine Johnson')
    t.ok(await until(async () => (await profileOf(user.accessToken)).status === 200, 2000) < 2000)
    const profile = (await profileOf(user.accessToken)).body
    t.equal(profile.id, user.id)
    t.equal(profile.name, 'Katherine Johnson')
    t.notOk(JSON.stringify(profile).includes(user.email), 'no email in the users service')
  })

  t.test('a name of 100 astral characters (200 UTF-16 units) makes its profile; 101 is a 400 at registration (one length rule, counted in code points)', async t => {
    const name = '\u{1D4D0}'.repeat(99) + '\u{1F600}'
    t.equal(name.length, 200, 'twice as many UTF-16 units as characters')
    const user = await signUp(client, name)
    t.ok(await until(async () => (await profileOf(user.accessToken)).status === 200, 3000) < 3000, 'the profile appears (the event was not dead-lettered)')
    t.equal((await profileOf(user.accessToken)).body.name, name)
    const tooLong = await client.call(auth, 'POST', '/accounts', { body: { email: `u-${randomUUID()}@example.test`, password, name: name + '\u{1F600}' } })
    t.equal(tooLong.status, 400)
    t.equal(tooLong.body.code, 'validation_failed')
  })

  t.test('log out at auth is refused at users within 1 s with token_revoked', async t => {
    const user = await signUp(client)
    await until(async () => (await profileOf(user.accessToken)).status === 200, 2000)
    t.equal((await client.call(auth, 'DELETE', '/sessions/current', { token: user.accessToken })).status, 204)
    t.ok(await until(async () => await revokedAtUsers(user.accessToken), 1000) <= 1000)
  })

  t.test('a password change kills other sessions at users within 1 s; the current one lives', async t => {
    const user = await signUp(client)
    const other = await client.call<TokenPair>(auth, 'POST', '/sessions', { body: { email: user.email, password } })
    await until(async () => (await profileOf(user.accessToken)).status === 200, 2000)
    const changed = await client.call(auth, 'PUT', '/accounts/me/password', { token: user.accessToken, body: { currentPassword: password, newPassword: 'a brand new passphrase' } })
    t.equal(changed.status, 204)
    t.ok(await until(async () => await revokedAtUsers(other.body.accessToken), 1000) <= 1000)
    t.equal((await profileOf(user.accessToken)).status, 200)
  })

  t.test('disabling at auth is refused at users within 1 s', async t => {
    const adminSession = await client.call<TokenPair>(auth, 'POST', '/sessions', { body: { email: adminEmail, password } })
    const user = await signUp(client)
    await until(async () => (await profileOf(user.accessToken)).status === 200, 2000)
    const disabled = await client.call(auth, 'PATCH', `/accounts/${user.id}`, { token: adminSession.body.accessToken, body: { status: 'disabled' } })
    t.equal(disabled.status, 200)
    t.ok(await until(async () => await revokedAtUsers(user.accessToken), 1000) <= 1000)
  })

  t.test('deleting the account revokes at users within 1 s and the profile disappears', async t => {
    const user = await signUp(client)
    const viewer = await signUp(client)
    await until(async () => (await profileOf(user.accessToken)).status === 200, 2000)
    t.equal((await client.call(auth, 'DELETE', '/accounts/me', { token: user.accessToken, body: { password } })).status, 204)
    t.ok(await until(async () => await revokedAtUsers(user.accessToken), 1000) <= 1000)
    t.ok(await until(async () => (await client.call(users, 'GET', `/users/${user.id}`, { token: viewer.accessToken })).status === 404, 2000) < 2000,
      'the public profile is gone')
  })
})
