import t from 'tap'
import { SMTPServer } from 'smtp-server'
import { simpleParser, type ParsedMail } from 'mailparser'
import type { Profile, TokenPair } from '@latchkey/contracts'
import { freePort, skipWithoutRedis } from '@latchkey/test-support'
import { password, signUp, startTestStack, until } from './helper.js'

t.test('a password reset kills an attacker\'s live session in both services within a second (ASVS 7.4.3, 6.4.1)', { skip: await skipWithoutRedis() }, async t => {
  // A real SMTP server: the reset link is read from the mail that arrives.
  const mails: ParsedMail[] = []
  const smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData (stream, _session, callback) { simpleParser(stream).then(mail => { mails.push(mail); callback() }, callback) }
  })
  const smtpPort = await freePort()
  await new Promise<void>(resolve => smtp.listen(smtpPort, '127.0.0.1', resolve))
  t.teardown(async () => { await new Promise<void>(resolve => smtp.close(() => { resolve() })) })

  const client = await startTestStack(t, { SMTP_URL: `smtp://127.0.0.1:${smtpPort}`, EMAIL_VERIFICATION: 'off' })
  const { auth, users } = client
  const victim = await signUp(client)
  // The attacker holds the victim's password and a session of their own.
  const attacker = await client.call<TokenPair>(auth, 'POST', '/sessions', { body: { email: victim.email, password } })
  t.equal(attacker.status, 201)
  await until(async () => (await client.call<Profile>(users, 'GET', '/users/me', { token: attacker.body.accessToken })).status === 200, 3000)
  t.equal((await client.call<Profile>(users, 'GET', '/users/me', { token: attacker.body.accessToken })).status, 200, 'the attacker reads the profile')

  t.equal((await client.call(auth, 'POST', '/password-resets', { body: { email: victim.email } })).status, 202)
  await until(async () => mails.length > 0, 10_000)
  const token = /#token=([A-Za-z0-9_-]{43})/.exec(mails[0]?.text ?? '')?.[1]
  t.ok(token, 'the reset mail carries a link')
  const confirmed = await client.call(auth, 'POST', '/password-resets/confirm', { body: { token, password: 'the victim takes it back' } })
  t.equal(confirmed.status, 204)

  const revokedAt = async (base: string, path: string, accessToken: string): Promise<boolean> => {
    const response = await client.call(base, 'GET', path, { token: accessToken })
    return response.status === 401 && response.body.code === 'token_revoked'
  }
  for (const accessToken of [attacker.body.accessToken, victim.accessToken]) {
    t.ok(await until(async () => await revokedAt(users, '/users/me', accessToken), 1000) <= 1000, 'refused by the users service within 1 s')
    t.ok(await revokedAt(auth, '/verify', accessToken), 'and by the auth service')
  }
  const refresh = await client.call(auth, 'POST', '/sessions/refresh', { body: { refreshToken: attacker.body.refreshToken } })
  t.equal(refresh.status, 401, 'the attacker cannot refresh')
  const old = await client.call(auth, 'POST', '/sessions', { body: { email: victim.email, password } })
  t.equal(old.status, 401, 'the old password is dead')
})
