/**
 * Log in with a second factor through the client: enrolment, `mfa_required` as a result (not an
 * error), and logInWithSecondFactor storing the session like a log in. Codes come from an RFC 6238
 * TOTP written here on node:crypto.
 */
import t from 'tap'
import { createHmac } from 'node:crypto'
import { password, startClientStack, uniqueEmail } from './helper.js'

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'

function totp (base32: string, step: number): string {
  let bits = 0
  let value = 0
  const key: number[] = []
  for (const char of base32) {
    value = (value << 5) | BASE32.indexOf(char)
    bits += 5
    if (bits >= 8) { key.push((value >>> (bits - 8)) & 0xff); bits -= 8 }
  }
  const counter = Buffer.alloc(8)
  counter.writeBigUInt64BE(BigInt(step))
  const mac = createHmac('sha1', Buffer.from(key)).update(counter).digest()
  const offset = (mac[19] ?? 0) & 0x0f
  return String(mac.readUInt32BE(offset) % 2 ** 31 % 1_000_000).padStart(6, '0')
}

t.test('a second factor through the client', async t => {
  const stack = await startClientStack(t)
  const client = stack.client()
  const email = uniqueEmail()
  await client.register({ email, password, name: 'Katherine Johnson' })
  const first = await client.logIn({ email, password })
  t.equal(first.status, 'signed_in')

  t.same(await client.getMyMfa(), { totp: { enabled: false, createdAt: null }, recoveryCodesLeft: 0 })
  const { secret } = await client.startTotpEnrolment({ password })
  const step = Math.floor(Date.now() / 30_000)
  const { recoveryCodes } = await client.confirmTotpEnrolment({ code: totp(secret, step) })
  t.equal(recoveryCodes.length, 10)
  await client.logOut()

  const login = await client.logIn({ email, password })
  if (login.status !== 'mfa_required') throw new Error('expected mfa_required')
  t.equal(login.problem.status, 401)
  t.equal(await client.tokens(), null, 'nothing stored before the second factor')
  const { mfaToken, methods } = login.problem.problem
  t.same(methods, ['totp', 'recovery_code'])
  if (typeof mfaToken !== 'string') throw new Error('mfa_required carries an mfaToken')
  const signedIn = await client.logInWithSecondFactor({ mfaToken, code: totp(secret, step + 1) })
  t.equal((await client.tokens())?.accessToken, signedIn.tokens.accessToken, 'the session is stored')
  t.equal((await client.getMyMfa()).totp.enabled, true, 'and used')
})
