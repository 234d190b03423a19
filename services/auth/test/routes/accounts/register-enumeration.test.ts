import t from 'tap'
import type { Account } from '@latchkey/contracts'
import { build, logIn, problemOf, register, strongPassword, uniqueEmail } from '../../helper.js'
import { startMailServer } from '../../mail-server.js'

t.test('POST /accounts with EMAIL_VERIFICATION=required (enumeration-safe registration, ASVS 6.3.8)', async t => {
  const smtp = await startMailServer(t)
  const { app, sql } = await build(t, { env: { SMTP_URL: smtp.url, EMAIL_VERIFICATION: 'required', LOGIN_FAILURES_MAX: '2' } })

  t.test('a taken address answers exactly like a new one: 201, the same body shape with a fresh id, a Location; the owner is told by mail and nothing is created', async t => {
    const { id, email } = await register(app)
    await sql`UPDATE accounts SET email_verified = true WHERE id = ${id}`
    const fresh = await app.inject({ method: 'POST', url: '/accounts', payload: { email: uniqueEmail(), password: strongPassword, name: 'New' } })
    const taken = await app.inject({ method: 'POST', url: '/accounts', payload: { email: email.toUpperCase(), password: 'an attacker passphrase', name: 'Attacker' } })
    t.equal(taken.statusCode, 201)
    t.equal(taken.statusCode, fresh.statusCode)
    t.equal(taken.headers['content-type'], fresh.headers['content-type'])
    const body = taken.json<Account>()
    t.same(Object.keys(body).sort(), Object.keys(fresh.json<Account>()).sort(), 'the same members')
    t.not(body.id, id, 'a fresh-looking id')
    t.match(body, { roles: ['user'], status: 'active', emailVerified: false })
    t.equal(taken.headers.location, `/accounts/${body.id}`)
    await smtp.next(email, { subject: 'Someone tried to register with your address' })
    const rows = await sql`SELECT id FROM accounts WHERE email_normalized = ${email.toLowerCase()}`
    t.equal(rows.length, 1, 'nothing created')
    await logIn(app, email)
    const attacker = await app.inject({ method: 'POST', url: '/sessions', payload: { email, password: 'an attacker passphrase' } })
    t.equal(attacker.statusCode, 401, 'the attacker\'s password opens nothing')
  })

  t.test('repeated attempts on taken addresses never turn into 429 (that would tell them apart), and the owner gets at most LOGIN_FAILURES_MAX mails per 15 minutes', async t => {
    const { email } = await register(app)
    const codes: number[] = []
    for (let i = 0; i < 4; i++) codes.push((await app.inject({ method: 'POST', url: '/accounts', payload: { email, password: strongPassword, name: 'Again' } })).statusCode)
    t.same(codes, [201, 201, 201, 201])
    await smtp.next(email, { subject: 'Someone tried to register with your address' })
    await app.mail.flush()
    // Every registration of the address counts, the owner's own included: 1 + 4 attempts, 2 allowed.
    t.equal(smtp.to(email).filter(mail => mail.subject === 'Someone tried to register with your address').length, 1)
  })
})

t.test('POST /accounts with EMAIL_VERIFICATION=optional keeps answering 409 for a taken address', async t => {
  const { app } = await build(t)
  const { email } = await register(app)
  const response = await app.inject({ method: 'POST', url: '/accounts', payload: { email, password: strongPassword, name: 'Again' } })
  t.equal(response.statusCode, 409)
  t.equal(problemOf(response).code, 'email_taken')
})
