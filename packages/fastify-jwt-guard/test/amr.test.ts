/** The guard exposes how and when the session authenticated (amr, auth_time), so a route can demand a second factor. */
import t from 'tap'
import { buildStaticApp, claims, createKey, signToken } from './helper.js'

t.test('request.auth carries amr and auth_time; a token without them is password-only, authenticated at iat', async t => {
  const key = await createKey()
  const { app } = await buildStaticApp(t, [key])
  const base = claims()
  const withFactor = await signToken(key, { ...base, amr: ['pwd', 'otp'], auth_time: base.iat - 60 })
  const auth = (await app.inject({ url: '/me', headers: { authorization: `Bearer ${withFactor}` } })).json().auth
  t.same(auth.amr, ['pwd', 'otp'])
  t.equal(auth.auth_time, base.iat - 60)
  const older = (await app.inject({ url: '/me', headers: { authorization: `Bearer ${await signToken(key, claims())}` } })).json().auth
  t.same(older.amr, ['pwd'])
  t.type(older.auth_time, 'number')
})

t.test('a token whose amr or auth_time has the wrong shape is refused (401 token_invalid)', async t => {
  const key = await createKey()
  const { app } = await buildStaticApp(t, [key])
  for (const extra of [{ amr: 'otp' }, { amr: [1] }, { auth_time: '1700000000' }, { auth_time: 1.5 }]) {
    const token = await signToken(key, { ...claims(), ...extra })
    const response = await app.inject({ url: '/me', headers: { authorization: `Bearer ${token}` } })
    t.equal(response.statusCode, 401, JSON.stringify(extra))
    t.equal(response.json().code, 'token_invalid')
  }
})

t.test('a token good only for enrolling a second factor: 403 mfa_enrollment_required from app.authenticate; a non-boolean claim is refused', async t => {
  const key = await createKey()
  const { app } = await buildStaticApp(t, [key])
  const enrolOnly = await signToken(key, { ...claims(), mfa_enrollment_required: true })
  const refused = await app.inject({ url: '/me', headers: { authorization: `Bearer ${enrolOnly}` } })
  t.equal(refused.statusCode, 403)
  t.equal(refused.json().code, 'mfa_enrollment_required')
  const malformed = await signToken(key, { ...claims(), mfa_enrollment_required: 'yes' })
  t.equal((await app.inject({ url: '/me', headers: { authorization: `Bearer ${malformed}` } })).statusCode, 401)
  const normal = await signToken(key, { ...claims(), mfa_enrollment_required: false })
  t.equal((await app.inject({ url: '/me', headers: { authorization: `Bearer ${normal}` } })).statusCode, 200)
})
