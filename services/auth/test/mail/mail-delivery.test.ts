import t from 'tap'
import { Writable } from 'node:stream'
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { simpleParser } from 'mailparser'
import { freePort } from '@latchkey/test-support'
import { build, eventually, register, uniqueEmail } from '../helper.js'
import { startMailServer, tokenOf } from '../mail-server.js'
import { scrapeMetrics } from '@latchkey/fastify-metrics'
import { queueMail } from '../../src/plugins/app/mail/mail-outbox.js'

function logCapture (): { stream: Writable, text: () => string } {
  const lines: string[] = []
  return { stream: new Writable({ write (chunk: Buffer, _encoding, done) { lines.push(chunk.toString()); done() } }), text: () => lines.join('') }
}

t.test('mail delivery over SMTP', async t => {
  t.test('a registration\'s verification mail arrives: plain text and HTML, from MAIL_FROM, link from the operator\'s template with the token in the fragment', async t => {
    const smtp = await startMailServer(t)
    const { app } = await build(t, { env: { SMTP_URL: smtp.url, MAIL_FROM: 'Accounts <accounts@example.test>', EMAIL_VERIFICATION_URL: 'https://app.example.test/verify#token={token}' } })
    const { email } = await register(app)
    const mail = await smtp.next(email)
    t.equal(mail.from?.value[0]?.address, 'accounts@example.test')
    t.equal(mail.subject, 'Confirm your email address')
    t.match(mail.text, /https:\/\/app\.example\.test\/verify#token=[A-Za-z0-9_-]{43}/)
    t.match(mail.html, new RegExp(`href="https://app\\.example\\.test/verify#token=${tokenOf(mail)}"`))
  })

  t.test('a committed transaction always gets its mail; a rolled-back one never does', async t => {
    const smtp = await startMailServer(t)
    const { app, sql } = await build(t, { env: { SMTP_URL: smtp.url, EMAIL_VERIFICATION: 'off' } })
    const committed = uniqueEmail()
    const rolledBack = uniqueEmail()
    await register(app, { email: committed })
    await register(app, { email: rolledBack })
    await sql.begin(async tx => { await queueMail(tx, { kind: 'registration-attempt', address: committed }) })
    await sql.begin(async tx => {
      await queueMail(tx, { kind: 'registration-attempt', address: rolledBack })
      throw new Error('the change failed')
    }).catch(() => {})
    await app.mail.flush()
    await smtp.next(committed)
    await app.mail.flush()
    t.same(smtp.to(rolledBack), [], 'nothing for the rolled-back change')
    t.same(await sql`SELECT 1 FROM mail_outbox WHERE address = ${rolledBack}`, [], 'and nothing queued')
  })

  t.test('a mail the SMTP server refuses (451) is retried with backoff and delivered once it accepts: nothing lost', async t => {
    const smtp = await startMailServer(t)
    const { app, sql } = await build(t, { env: { SMTP_URL: smtp.url, MAIL_RETRY_DELAY: '0.05', MAIL_MAX_ATTEMPTS: '50' } })
    smtp.refusing = true
    const { id, email } = await register(app)
    t.ok(await eventually(async () => {
      const [row] = await sql<Array<{ attempts: number }>>`SELECT attempts FROM mail_outbox WHERE account_id = ${id}`
      return (row?.attempts ?? 0) >= 3
    }, 10_000, 50), 'three refused attempts')
    t.same(smtp.to(email), [])
    smtp.refusing = false
    const mail = await smtp.next(email)
    t.match(mail.text, /#token=/)
    t.ok(await eventually(async () => {
      const [row] = await sql<Array<{ sentAt: Date | null, deadAt: Date | null }>>`SELECT sent_at, dead_at FROM mail_outbox WHERE account_id = ${id}`
      return row?.sentAt !== null && row?.deadAt === null
    }, 5000), 'marked sent')
    t.equal(smtp.to(email).length, 1, 'delivered once')
  })

  t.test('with the mail server down, a mail is dead-lettered after MAIL_MAX_ATTEMPTS, counted and logged without its token or address (ASVS 16.2.5)', async t => {
    const log = logCapture()
    const downUrl = `smtp://127.0.0.1:${await freePort()}`
    const { app, sql } = await build(t, { env: { SMTP_URL: downUrl, MAIL_RETRY_DELAY: '0.05', MAIL_MAX_ATTEMPTS: '3' }, logStream: log.stream })
    const { id, email } = await register(app)
    t.ok(await eventually(async () => {
      const [row] = await sql<Array<{ deadAt: Date | null }>>`SELECT dead_at FROM mail_outbox WHERE account_id = ${id}`
      return row?.deadAt !== null && row?.deadAt !== undefined
    }, 15_000, 50), 'dead-lettered')
    const [row] = await sql<Array<{ attempts: number, lastError: string }>>`SELECT attempts, last_error FROM mail_outbox WHERE account_id = ${id}`
    t.equal(row?.attempts, 3, 'exactly MAIL_MAX_ATTEMPTS attempts')
    t.match(row?.lastError, /ECONNREFUSED|ESOCKET|ECONNECTION/)
    const metrics = await scrapeMetrics([app])
    t.match(metrics, /latchkey_auth_mails_total\{kind="email-verification",outcome="dead_lettered",service="auth"\} 1/)
    t.match(metrics, /latchkey_auth_mails_total\{kind="email-verification",outcome="retried",service="auth"\} 2/)
    const text = log.text()
    t.match(text, /mail dead-lettered/)
    t.notMatch(text, email, 'no address in the logs')
    const tokens = await sql<Array<{ hash: Buffer }>>`SELECT hash FROM account_tokens WHERE account_id = ${id}`
    t.equal(tokens.length, 3, 'a token was minted for each attempt')
    t.notMatch(text, /#token=|[A-Za-z0-9_-]{43}/, 'no token in the logs')
  })

  t.test('without SMTP_URL each mail is written as an .eml file under DATA_DIR/mail and its path logged, not its link', async t => {
    const log = logCapture()
    const { app, config } = await build(t, { logStream: log.stream })
    const { email } = await register(app)
    const directory = join(config.DATA_DIR, 'mail')
    t.ok(await eventually(async () => (await readdir(directory).catch(() => [])).length === 1, 5000))
    const [file] = await readdir(directory)
    const mail = await simpleParser(await readFile(join(directory, file ?? '')))
    t.equal(mail.to !== undefined && !Array.isArray(mail.to) ? mail.to.value[0]?.address : undefined, email)
    t.match(mail.text, /#token=[A-Za-z0-9_-]{43}/)
    t.ok(await eventually(async () => log.text().includes(file ?? '?'), 2000), 'the path is logged')
    t.notMatch(log.text(), tokenOf(mail), 'the link is not')
  })

  t.test('operator templates from MAIL_TEMPLATES_DIR replace the built-in wording; values are HTML-escaped', async t => {
    const smtp = await startMailServer(t)
    const templates = await mkdtemp(join(tmpdir(), 'latchkey-templates-'))
    t.teardown(async () => { const { rm } = await import('node:fs/promises'); await rm(templates, { recursive: true }) })
    await writeFile(join(templates, 'email-verification.subject'), 'Welcome to Example\n')
    await writeFile(join(templates, 'email-verification.txt'), 'Go to {{link}} within {{expiresInMinutes}} minutes.\n')
    await writeFile(join(templates, 'email-verification.html'), '<a href="{{link}}">verify</a>')
    const { app } = await build(t, { env: { SMTP_URL: smtp.url, MAIL_TEMPLATES_DIR: templates, EMAIL_VERIFICATION_URL: 'https://app.example.test/v?a=1&b=2#token={token}' } })
    const { email } = await register(app)
    const mail = await smtp.next(email)
    t.equal(mail.subject, 'Welcome to Example')
    t.match(mail.text, /^Go to https:\/\/app\.example\.test\/v\?a=1&b=2#token=[A-Za-z0-9_-]{43} within 1440 minutes\./)
    t.match(String(mail.html), /href="https:\/\/app\.example\.test\/v\?a=1&#38;b=2#token=/)
  })
})
