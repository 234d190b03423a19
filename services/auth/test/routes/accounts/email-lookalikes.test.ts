import t from 'tap'
import { randomBytes } from 'node:crypto'
import type { TokenPair } from '@latchkey/contracts'
import { bearer, build, problemOf, register, registeredUser, strongPassword } from '../../helper.js'

/** Fullwidth forms of printable ASCII (U+FF01–U+FF5E), which NFKC maps back. */
function fullwidth (text: string): string {
  return text.replace(/[!-~]/g, c => String.fromCharCode(c.charCodeAt(0) - 0x21 + 0xFF01))
}

function plainEmail (): string {
  return `look-${randomBytes(4).toString('hex')}@example.test`
}

t.test('email look-alikes are one account or a 400, never a second account (ASVS 6.3.8, 2.2.1)', async t => {
  // Every look-alike registration is a 409 probe from one address: the probe limit is lifted here.
  const { app, sql } = await build(t, { env: { LOGIN_FAILURES_MAX: '1000' } })
  const accountsWith = async (email: string): Promise<number> => {
    const [row] = await sql<Array<{ n: number }>>`SELECT count(*)::int AS n FROM accounts WHERE email_normalized = ${email}`
    return row?.n ?? 0
  }

  /** Each class: a plain address and its look-alike. */
  const sameAccount: Array<[string, (plain: string) => [string, string]]> = [
    ['fullwidth letters', plain => [plain, fullwidth(plain.split('@')[0] ?? '') + '@' + (plain.split('@')[1] ?? '')]],
    ['fullwidth letters and dots', plain => [plain, fullwidth(plain).replace('\uFF20', '@')]],
    ['upper-case fullwidth letters', plain => [plain, fullwidth(plain.toUpperCase()).replace('\uFF20', '@')]],
    ['a compatibility ligature (U+FB01 for "fi")', plain => [plain.replace('@', 'fi@'), plain.replace('@', '\uFB01@')]],
    ['a trailing dot on the domain', plain => [plain, `${plain}.`]],
    ['surrounding spaces and a trailing dot', plain => [plain, `  ${plain}.  `]]
  ]
  for (const [name, pair] of sameAccount) {
    t.test(`${name}: registering it is 409 email_taken, and logging in with it reaches the same account`, async t => {
      const [base, variant] = pair(plainEmail())
      t.not(variant, base)
      const account = await register(app, { email: base })
      const again = await app.inject({ method: 'POST', url: '/accounts', payload: { email: variant, password: strongPassword, name: 'Look Alike' } })
      t.equal(again.statusCode, 409, `${JSON.stringify(variant)} is the same address`)
      t.equal(problemOf(again).code, 'email_taken')
      t.equal(await accountsWith(base), 1, 'one account')
      const login = await app.inject({ method: 'POST', url: '/sessions', payload: { email: variant, password: strongPassword } })
      t.equal(login.statusCode, 201, 'the look-alike form logs in')
      const me = await app.inject({ method: 'GET', url: '/accounts/me', headers: bearer(login.json<TokenPair>().accessToken) })
      t.equal(me.json<{ id: string }>().id, account.id, 'to the same account')
    })
  }

  t.test('the look-alike registered first: the plain form is then taken, and the stored address is the plain one', async t => {
    const base = plainEmail()
    const created = await app.inject({ method: 'POST', url: '/accounts', payload: { email: `${fullwidth(base).replace('\uFF20', '@')}.`, password: strongPassword, name: 'Look Alike' } })
    t.equal(created.statusCode, 201)
    t.equal(created.json<{ email: string }>().email, base, 'stored in its normal form')
    const plain = await app.inject({ method: 'POST', url: '/accounts', payload: { email: base, password: strongPassword, name: 'Plain' } })
    t.equal(plain.statusCode, 409)
  })

  const invisible: Array<[string, string]> = [
    ['zero-width space U+200B', '\u200B'],
    ['zero-width non-joiner U+200C', '\u200C'],
    ['zero-width joiner U+200D', '\u200D'],
    ['word joiner U+2060', '\u2060'],
    ['soft hyphen U+00AD', '\u00AD'],
    ['left-to-right mark U+200E', '\u200E'],
    ['a control character U+0007', '\u0007']
  ]
  for (const [name, character] of invisible) {
    t.test(`an invisible character (${name}) is refused with 400 at registration, log in and email change`, async t => {
      const user = await registeredUser(app)
      const [local, domain] = user.email.split('@')
      for (const variant of [`${local ?? ''}${character}@${domain ?? ''}`, `${character}${user.email}`, `${local ?? ''}@${character}${domain ?? ''}`]) {
        const registration = await app.inject({ method: 'POST', url: '/accounts', payload: { email: variant, password: strongPassword, name: 'Invisible' } })
        t.equal(registration.statusCode, 400, `register ${JSON.stringify(variant)}`)
        t.equal(problemOf(registration).code, 'validation_failed')
        const login = await app.inject({ method: 'POST', url: '/sessions', payload: { email: variant, password: strongPassword } })
        t.equal(login.statusCode, 400, `log in ${JSON.stringify(variant)}`)
        const change = await app.inject({ method: 'PATCH', url: '/accounts/me', headers: bearer(user.tokens.accessToken), payload: { email: variant, currentPassword: strongPassword } })
        t.equal(change.statusCode, 400, `change to ${JSON.stringify(variant)}`)
      }
      t.equal(await accountsWith(user.email), 1)
    })
  }

  t.test('a fullwidth @ is no @: 400, never an account', async t => {
    const email = plainEmail().replace('@', '\uFF20')
    const registration = await app.inject({ method: 'POST', url: '/accounts', payload: { email, password: strongPassword, name: 'Fullwidth At' } })
    t.equal(registration.statusCode, 400)
    t.equal(problemOf(registration).code, 'validation_failed')
  })

  t.test('an email change to a look-alike of another account is 409 email_taken', async t => {
    const owner = await registeredUser(app)
    const other = await registeredUser(app)
    const change = await app.inject({ method: 'PATCH', url: '/accounts/me', headers: bearer(other.tokens.accessToken), payload: { email: `${fullwidth(owner.email).replace('\uFF20', '@')}.`, currentPassword: strongPassword } })
    t.equal(change.statusCode, 409)
    t.equal(problemOf(change).code, 'email_taken')
  })
})
