import t from 'tap'
import { bearer, build, logIn, problemOf, register, strongPassword, uniqueEmail } from '../../helper.js'

t.test('POST /accounts', async t => {
  const { app, sql } = await build(t)

  t.test('creates an account with the role user and a Location header', async t => {
    const email = uniqueEmail()
    const response = await app.inject({ method: 'POST', url: '/accounts', payload: { email, password: strongPassword, name: 'Ada' } })
    t.equal(response.statusCode, 201)
    t.match(response.headers['content-type'], /application\/json/)
    const account = response.json()
    t.equal(response.headers.location, `/accounts/${account.id}`)
    t.same(Object.keys(account).sort(), ['createdAt', 'email', 'emailVerified', 'id', 'roles', 'status', 'updatedAt'])
    t.same(account.roles, ['user'])
    t.equal(account.status, 'active')
    t.equal(response.headers['cache-control'], 'no-store')
    t.equal(response.headers['x-content-type-options'], 'nosniff')
  })

  t.test('stores only an argon2id hash of the password (ASVS 11.4.2)', async t => {
    const { id } = await register(app)
    const [row] = await sql<Array<{ passwordHash: string }>>`SELECT password_hash FROM accounts WHERE id = ${id}`
    t.match(row?.passwordHash, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/)
  })

  t.test('answers 409 email_taken for the same email in another case and with spaces', async t => {
    const email = uniqueEmail()
    await register(app, { email })
    const response = await app.inject({ method: 'POST', url: '/accounts', payload: { email: `  ${email.toUpperCase()} `, password: strongPassword, name: 'B' } })
    t.equal(response.statusCode, 409)
    t.match(response.headers['content-type'], /application\/problem\+json/)
    t.equal(problemOf(response).code, 'email_taken')
  })

  t.test('logs in with the email in any case', async t => {
    const email = uniqueEmail()
    await register(app, { email })
    const pair = await logIn(app, email.toUpperCase())
    t.ok(pair.accessToken)
  })

  t.test('gives exactly one 201 when the same email registers twice at the same moment', async t => {
    const email = uniqueEmail()
    const responses = await Promise.all([0, 1, 2, 3].map(async i => await app.inject({
      method: 'POST', url: '/accounts', payload: { email: i % 2 === 0 ? email : email.toUpperCase(), password: strongPassword, name: 'Racer' }
    })))
    t.same(responses.map(r => r.statusCode).sort(), [201, 409, 409, 409])
  })

  t.test('refuses an unknown property such as roles with 400 and creates nothing (ASVS 15.3.3)', async t => {
    const email = uniqueEmail()
    const response = await app.inject({ method: 'POST', url: '/accounts', payload: { email, password: strongPassword, name: 'Mallory', roles: ['admin'] } })
    t.equal(response.statusCode, 400)
    const problem = problemOf(response)
    t.equal(problem.code, 'validation_failed')
    t.same(problem.errors, [{ path: '/roles', message: 'is not an allowed property' }])
    const rows = await sql`SELECT 1 FROM accounts WHERE email_normalized = ${email}`
    t.equal(rows.length, 0)
  })

  t.test('refuses a number where a string is expected: no coercion (ASVS 15.3.5)', async t => {
    const response = await app.inject({ method: 'POST', url: '/accounts', payload: { email: uniqueEmail(), password: 123456789012345, name: 'N' } })
    t.equal(response.statusCode, 400)
    t.equal(problemOf(response).code, 'validation_failed')
    t.equal(problemOf(response).errors?.[0]?.path, '/password')
  })

  t.test('refuses a password shorter than PASSWORD_MIN_LENGTH and one over 256 characters', async t => {
    const short = await app.inject({ method: 'POST', url: '/accounts', payload: { email: uniqueEmail(), password: 'elevenchars', name: 'S' } })
    t.equal(short.statusCode, 400)
    t.same(problemOf(short).errors, [{ path: '/password', message: 'must be at least 12 characters (rule: min_length)' }])
    const long = await app.inject({ method: 'POST', url: '/accounts', payload: { email: uniqueEmail(), password: 'x'.repeat(257), name: 'L' } })
    t.equal(long.statusCode, 400)
    t.equal(problemOf(long).errors?.[0]?.path, '/password')
  })

  t.test('accepts a 256-character password and verifies it exactly, untruncated (ASVS 6.2.8, 6.2.9)', async t => {
    const password = 'p'.repeat(255) + 'q'
    const { email } = await register(app, { password })
    await logIn(app, email, password)
    const truncated = await app.inject({ method: 'POST', url: '/sessions', payload: { email, password: 'p'.repeat(255) } })
    t.equal(truncated.statusCode, 401)
  })

  t.test('answers malformed JSON with 400, a wrong content type with 415 and a 17 KiB body with 413', async t => {
    const malformed = await app.inject({ method: 'POST', url: '/accounts', headers: { 'content-type': 'application/json' }, payload: '{"email":' })
    t.equal(malformed.statusCode, 400)
    t.equal(problemOf(malformed).code, 'validation_failed')
    const text = await app.inject({ method: 'POST', url: '/accounts', headers: { 'content-type': 'text/plain' }, payload: 'hello' })
    t.equal(text.statusCode, 415)
    t.equal(problemOf(text).code, 'unsupported_media_type')
    const huge = await app.inject({ method: 'POST', url: '/accounts', payload: { email: uniqueEmail(), password: strongPassword, name: 'x'.repeat(17 * 1024) } })
    t.equal(huge.statusCode, 413)
    t.equal(problemOf(huge).code, 'payload_too_large')
  })

  t.test('GET /accounts/me answers the caller\'s account', async t => {
    const { id, email } = await register(app)
    const pair = await logIn(app, email)
    const response = await app.inject({ method: 'GET', url: '/accounts/me', headers: bearer(pair.accessToken) })
    t.equal(response.statusCode, 200)
    t.equal(response.json().id, id)
    t.equal(response.json().email, email)
  })
})
