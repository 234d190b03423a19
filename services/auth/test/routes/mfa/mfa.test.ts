/**
 * Two-factor authentication end to end: enrolment, log in with a code and with a recovery code,
 * replay, brute force of codes (one mfaToken, and the account's limits under concurrency),
 * removal needing the second factor, new recovery codes and the administrator's reset. Codes are
 * computed with the test's own RFC 6238 implementation (test/totp-reference.ts).
 */
import t from 'tap'
import type { FastifyInstance } from 'fastify'
import { ConfigError, type TokenPair } from '@latchkey/contracts'
import { createInProcessAccountEvents } from '@latchkey/account-events'
import { buildAuthApp } from '../../../src/app.js'
import { bearer, build, logIn, problemOf, registeredUser, strongPassword, uniqueEmail } from '../../helper.js'
import { base32Decode, currentStep, hotp, totp } from '../../totp-reference.js'

interface Enrolled { id: string, email: string, tokens: TokenPair, secret: string, recoveryCodes: string[], step: number }

const claimsOf = (token: string): { amr?: string[], auth_time?: number, iat: number } =>
  JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as { amr?: string[], auth_time?: number, iat: number }

/** A user with an active factor; the confirmation used the code of `step` (the current one). */
async function enrolled (app: FastifyInstance): Promise<Enrolled> {
  const user = await registeredUser(app)
  const started = await app.inject({ method: 'POST', url: '/accounts/me/mfa/totp', headers: bearer(user.tokens.accessToken), payload: { password: strongPassword } })
  if (started.statusCode !== 201) throw new Error(`enrolment failed: ${started.body}`)
  const { secret } = started.json<{ secret: string }>()
  const step = currentStep()
  const confirmed = await app.inject({ method: 'POST', url: '/accounts/me/mfa/totp/confirm', headers: bearer(user.tokens.accessToken), payload: { code: totp(secret, step) } })
  if (confirmed.statusCode !== 200) throw new Error(`confirmation failed: ${confirmed.body}`)
  return { ...user, secret, recoveryCodes: confirmed.json<{ recoveryCodes: string[] }>().recoveryCodes, step }
}

async function mfaToken (app: FastifyInstance, email: string): Promise<string> {
  const response = await app.inject({ method: 'POST', url: '/sessions', payload: { email, password: strongPassword } })
  if (response.statusCode !== 401) throw new Error(`expected mfa_required: ${response.body}`)
  return response.json<{ mfaToken: string }>().mfaToken
}

const secondStep = (payload: Record<string, string>, remoteAddress = '127.0.0.1') =>
  ({ method: 'POST' as const, url: '/sessions/mfa', payload, remoteAddress })

t.test('the test\'s own TOTP matches the RFC 6238 appendix B vectors (SHA-1, 8 digits)', async t => {
  const secret = Buffer.from('12345678901234567890')
  const vectors: Array<[number, string]> = [[59, '94287082'], [1111111109, '07081804'], [1111111111, '14050471'], [1234567890, '89005924'], [2000000000, '69279037'], [20000000000, '65353130']]
  for (const [time, code] of vectors) t.equal(hotp(secret, Math.floor(time / 30), 8), code, `T=${time}`)
  t.same(base32Decode('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ'), secret, 'base32 of the RFC secret')
})

t.test('two-factor authentication (ASVS 6.5.1, 6.5.2, 6.5.3, 6.5.5, 6.5.8, 6.3.4, 6.4.3, 7.5.1)', async t => {
  const adminEmail = uniqueEmail()
  const auth = await build(t, { env: { BOOTSTRAP_ADMIN_EMAIL: adminEmail, BOOTSTRAP_ADMIN_PASSWORD: 'bootstrap admin passphrase', LOGIN_FAILURES_MAX: '50', RATE_LIMIT_IP_MAX: '100000' } })
  const { app, sql } = auth

  t.test('POST /accounts/me/mfa/totp › needs the password, answers a secret, an otpauth URI and a QR code; the factor is pending', async t => {
    const user = await registeredUser(app)
    const wrong = await app.inject({ method: 'POST', url: '/accounts/me/mfa/totp', headers: bearer(user.tokens.accessToken), payload: { password: 'not the password at all' } })
    t.equal(wrong.statusCode, 403)
    t.equal(problemOf(wrong).code, 'invalid_password')
    const response = await app.inject({ method: 'POST', url: '/accounts/me/mfa/totp', headers: bearer(user.tokens.accessToken), payload: { password: strongPassword } })
    t.equal(response.statusCode, 201)
    const body = response.json<{ secret: string, otpauthUri: string, qrCodeSvg: string }>()
    t.equal(base32Decode(body.secret).length, 20, '160-bit secret')
    const uri = new URL(body.otpauthUri)
    t.equal(uri.protocol, 'otpauth:')
    t.equal(uri.searchParams.get('secret'), body.secret)
    t.equal(uri.searchParams.get('algorithm'), 'SHA1')
    t.equal(uri.searchParams.get('digits'), '6')
    t.equal(uri.searchParams.get('period'), '30')
    t.match(body.qrCodeSvg, /^<svg[\s\S]*<\/svg>\s*$/)
    const status = await app.inject({ method: 'GET', url: '/accounts/me/mfa', headers: bearer(user.tokens.accessToken) })
    t.same(status.json(), { totp: { enabled: false, createdAt: null }, recoveryCodesLeft: 0 })
    t.equal((await app.inject({ method: 'POST', url: '/sessions', payload: { email: user.email, password: strongPassword } })).statusCode, 201, 'a pending factor does not change log in')
    const [row] = await sql<Array<{ secretEnvelope: string }>>`SELECT secret_envelope FROM mfa_totp_factors WHERE account_id = ${user.id}`
    t.match(row?.secretEnvelope, /^v1\./, 'the secret rests sealed')
    t.notOk(row?.secretEnvelope.includes(body.secret), 'never in clear')
  })

  t.test('POST /accounts/me/mfa/totp/confirm › a wrong code is refused; the right one activates the factor and answers 10 recovery codes', async t => {
    const user = await registeredUser(app)
    const { secret } = (await app.inject({ method: 'POST', url: '/accounts/me/mfa/totp', headers: bearer(user.tokens.accessToken), payload: { password: strongPassword } })).json<{ secret: string }>()
    const wrongCode = totp(secret, currentStep() + 5)
    const wrong = await app.inject({ method: 'POST', url: '/accounts/me/mfa/totp/confirm', headers: bearer(user.tokens.accessToken), payload: { code: wrongCode } })
    t.equal(wrong.statusCode, 403)
    t.equal(problemOf(wrong).code, 'invalid_mfa_code')
    const malformed = await app.inject({ method: 'POST', url: '/accounts/me/mfa/totp/confirm', headers: bearer(user.tokens.accessToken), payload: { code: '1234567' } })
    t.equal(malformed.statusCode, 400)
    t.equal(problemOf(malformed).code, 'validation_failed')
    const confirmed = await app.inject({ method: 'POST', url: '/accounts/me/mfa/totp/confirm', headers: bearer(user.tokens.accessToken), payload: { code: totp(secret) } })
    t.equal(confirmed.statusCode, 200)
    const codes = confirmed.json<{ recoveryCodes: string[] }>().recoveryCodes
    t.equal(codes.length, 10)
    t.equal(new Set(codes).size, 10)
    for (const code of codes) t.match(code, /^[A-Z2-7]{4}(-[A-Z2-7]{4}){5}$/, '120 bits of base32')
    const [stored] = await sql<Array<{ n: number }>>`SELECT count(*)::int AS n FROM mfa_recovery_codes WHERE account_id = ${user.id} AND length(hash) = 32`
    t.equal(stored?.n, 10, 'stored as SHA-256 hashes only')
    const status = (await app.inject({ method: 'GET', url: '/accounts/me/mfa', headers: bearer(user.tokens.accessToken) })).json<{ totp: { enabled: boolean, createdAt: string }, recoveryCodesLeft: number }>()
    t.equal(status.totp.enabled, true)
    t.type(status.totp.createdAt, 'string')
    t.equal(status.recoveryCodesLeft, 10)
    const again = await app.inject({ method: 'POST', url: '/accounts/me/mfa/totp', headers: bearer(user.tokens.accessToken), payload: { password: strongPassword } })
    t.equal(again.statusCode, 409)
    t.equal(problemOf(again).code, 'mfa_already_enabled')
  })

  t.test('POST /sessions › with a factor, a right password answers 401 mfa_required with an mfaToken and methods, and no tokens', async t => {
    const user = await enrolled(app)
    const response = await app.inject({ method: 'POST', url: '/sessions', payload: { email: user.email, password: strongPassword } })
    t.equal(response.statusCode, 401)
    t.match(response.headers['content-type'], /^application\/problem\+json/)
    const body = response.json<{ code: string, mfaToken: string, methods: string[], accessToken?: string }>()
    t.equal(body.code, 'mfa_required')
    t.match(body.mfaToken, /^[A-Za-z0-9_-]{43}$/)
    t.same(body.methods, ['totp', 'recovery_code'])
    t.equal(body.accessToken, undefined)
    const wrongPassword = await app.inject({ method: 'POST', url: '/sessions', payload: { email: user.email, password: 'a wrong password here' } })
    t.equal(problemOf(wrongPassword).code, 'invalid_credentials', 'a wrong password never reveals the factor')
  })

  t.test('POST /sessions/mfa › a code completes the log in: amr pwd+otp and auth_time, kept by refresh, X-Auth-AMR from /verify; the mfaToken is single use', async t => {
    const user = await enrolled(app)
    const token = await mfaToken(app, user.email)
    const response = await app.inject(secondStep({ mfaToken: token, code: totp(user.secret, user.step + 1) }))
    t.equal(response.statusCode, 201)
    const pair = response.json<TokenPair>()
    const claims = claimsOf(pair.accessToken)
    t.same(claims.amr, ['pwd', 'otp'])
    t.ok(typeof claims.auth_time === 'number' && Math.abs(claims.auth_time - claims.iat) <= 1)
    const verified = await app.inject({ method: 'GET', url: '/verify', headers: bearer(pair.accessToken) })
    t.equal(verified.statusCode, 200)
    t.equal(verified.headers['x-auth-amr'], 'pwd,otp')
    const refreshed = await app.inject({ method: 'POST', url: '/sessions/refresh', payload: { refreshToken: pair.refreshToken } })
    t.same(claimsOf(refreshed.json<TokenPair>().accessToken).amr, ['pwd', 'otp'], 'refresh keeps the second factor')
    t.equal(claimsOf(refreshed.json<TokenPair>().accessToken).auth_time, claims.auth_time, 'and the log-in time')
    const reused = await app.inject(secondStep({ mfaToken: token, code: totp(user.secret, user.step + 1) }))
    t.equal(reused.statusCode, 401)
    t.equal(problemOf(reused).code, 'invalid_mfa_token')
  })

  t.test('a password-only session says so: amr pwd, X-Auth-AMR pwd', async t => {
    const user = await registeredUser(app)
    t.same(claimsOf(user.tokens.accessToken).amr, ['pwd'])
    const verified = await app.inject({ method: 'GET', url: '/verify', headers: bearer(user.tokens.accessToken) })
    t.equal(verified.headers['x-auth-amr'], 'pwd')
  })

  t.test('replay › a code accepted once is refused the second time, on another replica too', async t => {
    const user = await enrolled(app)
    const code = totp(user.secret, user.step + 1)
    t.equal((await app.inject(secondStep({ mfaToken: await mfaToken(app, user.email), code }))).statusCode, 201)
    const replica = await auth.buildReplica()
    const replayed = await replica.inject(secondStep({ mfaToken: await mfaToken(replica, user.email), code }))
    t.equal(replayed.statusCode, 401)
    t.equal(problemOf(replayed).code, 'invalid_mfa_code')
    const confirmationCode = await app.inject(secondStep({ mfaToken: await mfaToken(app, user.email), code: totp(user.secret, user.step) }))
    t.equal(problemOf(confirmationCode).code, 'invalid_mfa_code', 'the confirmation\'s code (an earlier step) too')
  })

  t.test('a code outside ±1 step of the server\'s clock is refused', async t => {
    const user = await enrolled(app)
    const token = await mfaToken(app, user.email)
    t.equal(problemOf(await app.inject(secondStep({ mfaToken: token, code: totp(user.secret, user.step + 3) }))).code, 'invalid_mfa_code')
    t.equal(problemOf(await app.inject(secondStep({ mfaToken: token, code: totp(user.secret, user.step - 2) }))).code, 'invalid_mfa_code')
  })

  t.test('POST /sessions/mfa › a recovery code works once (any case, hyphens optional)', async t => {
    const user = await enrolled(app)
    const [code] = user.recoveryCodes
    const loose = (code ?? '').replaceAll('-', '').toLowerCase()
    const response = await app.inject(secondStep({ mfaToken: await mfaToken(app, user.email), recoveryCode: loose }))
    t.equal(response.statusCode, 201)
    t.same(claimsOf(response.json<TokenPair>().accessToken).amr, ['pwd', 'otp'])
    const again = await app.inject(secondStep({ mfaToken: await mfaToken(app, user.email), recoveryCode: code ?? '' }))
    t.equal(problemOf(again).code, 'invalid_mfa_code')
    const status = await app.inject({ method: 'GET', url: '/accounts/me/mfa', headers: bearer(user.tokens.accessToken) })
    t.equal(status.json<{ recoveryCodesLeft: number }>().recoveryCodesLeft, 9)
  })

  t.test('POST /sessions/mfa › bad input is a 400 problem: both or neither of code and recoveryCode, an unknown property', async t => {
    const user = await enrolled(app)
    const token = await mfaToken(app, user.email)
    const payloads: Array<Record<string, string>> = [{ mfaToken: token }, { mfaToken: token, code: '123456', recoveryCode: 'AAAA' }, { mfaToken: token, code: '123456', extra: 'x' }]
    for (const payload of payloads) {
      const response = await app.inject(secondStep(payload))
      t.equal(response.statusCode, 400, JSON.stringify(Object.keys(payload)))
      t.equal(problemOf(response).code, 'validation_failed')
    }
    t.equal(problemOf(await app.inject(secondStep({ mfaToken: 'forged', code: '123456' }))).code, 'invalid_mfa_token')
  })

  t.test('brute force › an mfaToken dies after 5 wrong codes, even for the right code next', async t => {
    const user = await enrolled(app)
    const token = await mfaToken(app, user.email)
    for (let i = 0; i < 5; i++) {
      t.equal(problemOf(await app.inject(secondStep({ mfaToken: token, code: totp(user.secret, user.step + 10 + i) }))).code, 'invalid_mfa_code')
    }
    const right = await app.inject(secondStep({ mfaToken: token, code: totp(user.secret, user.step + 1) }))
    t.equal(right.statusCode, 401)
    t.equal(problemOf(right).code, 'invalid_mfa_token')
  })

  t.test('brute force › 20 wrong codes at once on one mfaToken: at most 5 are checked', async t => {
    const user = await enrolled(app)
    const token = await mfaToken(app, user.email)
    const answers = await Promise.all(Array.from({ length: 20 }, async (_, i) => await app.inject(secondStep({ mfaToken: token, code: totp(user.secret, user.step + 10 + i) }))))
    const codes = answers.map(answer => problemOf(answer).code)
    t.equal(codes.filter(code => code === 'invalid_mfa_code').length, 5, 'exactly 5 checked')
    t.equal(codes.filter(code => code === 'invalid_mfa_token').length, 15, 'the rest refused unchecked')
    t.equal(problemOf(await app.inject(secondStep({ mfaToken: token, code: totp(user.secret, user.step + 1) }))).code, 'invalid_mfa_token')
  })

  t.test('a requested password reset leaves the second factor in force (ASVS 6.4.3)', async t => {
    const user = await enrolled(app)
    await app.inject({ method: 'POST', url: '/password-resets', payload: { email: user.email } })
    t.equal(problemOf(await app.inject({ method: 'POST', url: '/sessions', payload: { email: user.email, password: strongPassword } })).code, 'mfa_required')
  })

  t.test('DELETE /accounts/me/mfa/totp › the password alone cannot remove the factor; with a code it goes and every other session is revoked', async t => {
    const user = await enrolled(app)
    const other = await app.inject(secondStep({ mfaToken: await mfaToken(app, user.email), code: totp(user.secret, user.step + 1) }))
    const otherPair = other.json<TokenPair>()
    const headers = bearer(user.tokens.accessToken)
    const passwordOnly = await app.inject({ method: 'DELETE', url: '/accounts/me/mfa/totp', headers, payload: { password: strongPassword } })
    t.equal(passwordOnly.statusCode, 400)
    t.equal(problemOf(passwordOnly).code, 'validation_failed')
    const wrongCode = await app.inject({ method: 'DELETE', url: '/accounts/me/mfa/totp', headers, payload: { password: strongPassword, code: totp(user.secret, user.step + 9) } })
    t.equal(problemOf(wrongCode).code, 'invalid_mfa_code')
    const wrongPassword = await app.inject({ method: 'DELETE', url: '/accounts/me/mfa/totp', headers, payload: { password: 'not the right password', recoveryCode: user.recoveryCodes[0] ?? '' } })
    t.equal(problemOf(wrongPassword).code, 'invalid_password')
    t.equal((await app.inject({ method: 'GET', url: '/accounts/me/mfa', headers })).json<{ totp: { enabled: boolean } }>().totp.enabled, true, 'nothing changed')
    const removed = await app.inject({ method: 'DELETE', url: '/accounts/me/mfa/totp', headers, payload: { password: strongPassword, recoveryCode: user.recoveryCodes[1] ?? '' } })
    t.equal(removed.statusCode, 204)
    t.same((await app.inject({ method: 'GET', url: '/accounts/me/mfa', headers })).json(), { totp: { enabled: false, createdAt: null }, recoveryCodesLeft: 0 })
    t.equal((await app.inject({ method: 'POST', url: '/sessions/refresh', payload: { refreshToken: otherPair.refreshToken } })).statusCode, 401, 'the other session is revoked')
    t.equal((await app.inject({ method: 'POST', url: '/sessions/refresh', payload: { refreshToken: user.tokens.refreshToken } })).statusCode, 200, 'the current one lives')
    t.equal((await app.inject({ method: 'POST', url: '/sessions', payload: { email: user.email, password: strongPassword } })).statusCode, 201, 'log in is password-only again')
  })

  t.test('POST /accounts/me/mfa/recovery-codes › needs a current code; the old codes stop working', async t => {
    const user = await enrolled(app)
    const headers = bearer(user.tokens.accessToken)
    const wrong = await app.inject({ method: 'POST', url: '/accounts/me/mfa/recovery-codes', headers, payload: { code: totp(user.secret, user.step + 9) } })
    t.equal(problemOf(wrong).code, 'invalid_mfa_code')
    const response = await app.inject({ method: 'POST', url: '/accounts/me/mfa/recovery-codes', headers, payload: { code: totp(user.secret, user.step + 1) } })
    t.equal(response.statusCode, 200)
    const fresh = response.json<{ recoveryCodes: string[] }>().recoveryCodes
    t.equal(fresh.length, 10)
    t.equal(problemOf(await app.inject(secondStep({ mfaToken: await mfaToken(app, user.email), recoveryCode: user.recoveryCodes[0] ?? '' }))).code, 'invalid_mfa_code', 'an old code is void')
    t.equal((await app.inject(secondStep({ mfaToken: await mfaToken(app, user.email), recoveryCode: fresh[0] ?? '' }))).statusCode, 201, 'a new one works')
  })

  t.test('DELETE /accounts/{id}/mfa › an administrator resets a lost factor; every session of the account is revoked', async t => {
    const user = await enrolled(app)
    const asUser = await app.inject({ method: 'DELETE', url: `/accounts/${user.id}/mfa`, headers: bearer(user.tokens.accessToken) })
    t.equal(asUser.statusCode, 403)
    const admin = await logIn(app, adminEmail, 'bootstrap admin passphrase')
    t.equal((await app.inject({ method: 'DELETE', url: '/accounts/00000000-0000-4000-8000-000000000000/mfa', headers: bearer(admin.accessToken) })).statusCode, 404)
    const reset = await app.inject({ method: 'DELETE', url: `/accounts/${user.id}/mfa`, headers: bearer(admin.accessToken) })
    t.equal(reset.statusCode, 204)
    t.equal((await app.inject({ method: 'POST', url: '/sessions/refresh', payload: { refreshToken: user.tokens.refreshToken } })).statusCode, 401, 'sessions revoked')
    t.equal((await app.inject({ method: 'POST', url: '/sessions', payload: { email: user.email, password: strongPassword } })).statusCode, 201, 'log in is password-only')
  })

  t.test('secrets never reach the answers of GET /accounts/me/mfa after enrolment', async t => {
    const user = await enrolled(app)
    const body = (await app.inject({ method: 'GET', url: '/accounts/me/mfa', headers: bearer(user.tokens.accessToken) })).body
    t.notOk(body.includes(user.secret))
    t.notOk(body.includes(user.recoveryCodes[0] ?? 'x'))
  })
})

t.test('per account, 20 wrong codes at once over 20 mfaTokens: the failed-log-in limit holds (ASVS 6.3.1, 6.6.3)', async t => {
  const { app } = await build(t, { env: { LOGIN_FAILURES_MAX: '3', RATE_LIMIT_IP_MAX: '100000' } })
  const user = await enrolled(app)
  const tokens = []
  for (let i = 0; i < 20; i++) tokens.push(await mfaToken(app, user.email))
  const answers = await Promise.all(tokens.map(async (token, i) => await app.inject(secondStep({ mfaToken: token, code: totp(user.secret, user.step + 10 + i) }, '192.0.2.90'))))
  const codes = answers.map(answer => problemOf(answer).code)
  t.ok(codes.filter(code => code === 'invalid_mfa_code').length <= 3, `at most LOGIN_FAILURES_MAX checked (${codes.join(',')})`)
  t.equal(codes.filter(code => code === 'rate_limited').length + codes.filter(code => code === 'invalid_mfa_code').length, 20)
})

t.test('without SECRETS_KEY (outside the embedded default)', async t => {
  const first = await build(t)
  const user = await enrolled(first.app)

  t.test('a start is refused, naming the variable (no TOTP secret, signing key or refresh secret could be opened)', async t => {
    t.ok(user.id, 'an account has a factor')
    const { SECRETS_KEY: _unset, ...withoutKey } = first.config
    const started = buildAuthApp(withoutKey, { sql: first.sql, revocationFeed: first.feed, revocationPublisher: first.feed, accountEvents: createInProcessAccountEvents() }, { logger: false })
    const error = await started.then(async app => { t.teardown(() => app.close()); await app.ready() }).then(() => undefined, (cause: unknown) => cause)
    t.ok(error instanceof ConfigError, 'the start fails with a configuration error')
    t.match((error as Error).message, /SECRETS_KEY/)
  })
})
