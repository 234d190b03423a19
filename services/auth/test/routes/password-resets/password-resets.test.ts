import t from 'tap'
import { build, eventually, problemOf, register, uniqueEmail } from '../../helper.js'
import { startMailServer, startStalledMailServer } from '../../mail-server.js'

t.test('POST /password-resets', async t => {
  t.test('answers 202 with the same body for an existing and an unknown address; only the owner gets a mail (ASVS 6.3.8)', async t => {
    const smtp = await startMailServer(t)
    const { app, sql } = await build(t, { env: { SMTP_URL: smtp.url, EMAIL_VERIFICATION: 'off' } })
    const { email } = await register(app)
    const unknown = uniqueEmail()
    const known = await app.inject({ method: 'POST', url: '/password-resets', payload: { email } })
    const stranger = await app.inject({ method: 'POST', url: '/password-resets', payload: { email: unknown } })
    t.equal(known.statusCode, 202)
    t.equal(stranger.statusCode, 202)
    t.equal(known.headers['content-type'], stranger.headers['content-type'])
    t.equal(known.body, stranger.body)
    t.same(known.json(), { status: 'accepted' })
    const mail = await smtp.next(email)
    t.equal(mail.subject, 'Reset your password')
    t.ok(await eventually(async () => (await sql`SELECT 1 FROM mail_outbox WHERE address = ${unknown} AND sent_at IS NOT NULL`).length === 1, 5000), 'the unknown address\'s request is dropped by the relay')
    t.same(smtp.to(unknown), [], 'nothing is mailed to an address without an account')
  })

  t.test('does the same work inside the request whether or not the address exists: one queued row naming only the address, and no wait for SMTP (timing by design, ASVS 6.3.8)', async t => {
    const stalled = await startStalledMailServer(t)
    const { app, sql } = await build(t, { env: { SMTP_URL: stalled.url, EMAIL_VERIFICATION: 'off' } })
    const { id, email } = await register(app)
    const unknown = uniqueEmail()
    for (const address of [email, unknown]) {
      const response = await app.inject({ method: 'POST', url: '/password-resets', payload: { email: address } })
      t.equal(response.statusCode, 202)
    }
    const rows = await sql<Array<{ kind: string, accountId: string | null, address: string }>>`
      SELECT kind, account_id, address FROM mail_outbox WHERE kind = 'password-reset' ORDER BY created_at`
    t.same(rows, [{ kind: 'password-reset', accountId: null, address: email }, { kind: 'password-reset', accountId: null, address: unknown }],
      'both requests wrote the same row, naming only the address')
    t.ok(await eventually(async () => stalled.connections() >= 1, 5000), 'the relay is stuck on the stalled mail server')
    t.same(await sql`SELECT 1 FROM mail_outbox WHERE sent_at IS NOT NULL AND kind = 'password-reset' AND address = ${email}`, [], 'and the mail is not sent')
    const started = await app.inject({ method: 'POST', url: '/password-resets', payload: { email } })
    t.equal(started.statusCode, 202, 'a request answers while the mail server stalls: it never waits for SMTP')
    t.ok(id)
  })

  t.test('is throttled per address (LOGIN_FAILURES_MAX per 15 minutes) alike for existing and unknown addresses', async t => {
    const smtp = await startMailServer(t)
    const { app } = await build(t, { env: { SMTP_URL: smtp.url, EMAIL_VERIFICATION: 'off', LOGIN_FAILURES_MAX: '2' } })
    const { email } = await register(app)
    const unknown = uniqueEmail()
    const statuses = async (address: string): Promise<number[]> => {
      const out: number[] = []
      for (let i = 0; i < 3; i++) out.push((await app.inject({ method: 'POST', url: '/password-resets', payload: { email: address } })).statusCode)
      return out
    }
    t.same(await statuses(email), [202, 202, 429])
    t.same(await statuses(unknown), [202, 202, 429])
  })

  t.test('is throttled per network (RATE_LIMIT_IP_MAX)', async t => {
    const { app } = await build(t, { env: { RATE_LIMIT_IP_MAX: '2', EMAIL_VERIFICATION: 'off' } })
    const codes: number[] = []
    for (let i = 0; i < 3; i++) codes.push((await app.inject({ method: 'POST', url: '/password-resets', payload: { email: uniqueEmail() } })).statusCode)
    t.same(codes, [202, 202, 429])
  })

  t.test('answers 400 for a body without a valid email', async t => {
    const { app } = await build(t)
    const response = await app.inject({ method: 'POST', url: '/password-resets', payload: { email: 'not-an-email' } })
    t.equal(response.statusCode, 400)
    t.equal(problemOf(response).code, 'validation_failed')
  })

  t.test('sends nothing for a disabled account', async t => {
    const smtp = await startMailServer(t)
    const { app, sql } = await build(t, { env: { SMTP_URL: smtp.url, EMAIL_VERIFICATION: 'off' } })
    const { id, email } = await register(app)
    await sql`UPDATE accounts SET status = 'disabled' WHERE id = ${id}`
    await app.inject({ method: 'POST', url: '/password-resets', payload: { email } })
    t.ok(await eventually(async () => (await sql`SELECT 1 FROM mail_outbox WHERE address = ${email} AND sent_at IS NOT NULL`).length === 1, 5000))
    t.same(smtp.to(email), [])
  })
})
