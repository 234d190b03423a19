/**
 * A real SMTP server for the tests (smtp-server on a free local port) that parses what arrives
 * (mailparser), can be told to refuse mail for a while (451), and a TCP listener that accepts
 * connections and never answers: an SMTP server that stalls.
 */
import { createServer, type Socket } from 'node:net'
import type { Test } from 'tap'
import { SMTPServer } from 'smtp-server'
import { simpleParser, type ParsedMail } from 'mailparser'
import { freePort } from '@latchkey/test-support'

export interface TestMailServer {
  url: string
  mails: ParsedMail[]
  /** While true, every message is refused with 451 (a temporary failure). */
  refusing: boolean
  /** The first mail to `to` (after `skip` earlier ones; only those with `subject` if given) arriving within the timeout. */
  next (to: string, options?: { skip?: number, subject?: string, timeoutMs?: number }): Promise<ParsedMail>
  to (address: string): ParsedMail[]
}

function recipientsOf (mail: ParsedMail): string[] {
  const to = Array.isArray(mail.to) ? mail.to : mail.to === undefined ? [] : [mail.to]
  return to.flatMap(address => address.value.map(entry => (entry.address ?? '').toLowerCase()))
}

export async function startMailServer (t: Test): Promise<TestMailServer> {
  const mails: ParsedMail[] = []
  const state: TestMailServer = {
    url: '',
    mails,
    refusing: false,
    async next (to, options = {}) {
      const deadline = Date.now() + (options.timeoutMs ?? 10_000)
      while (Date.now() < deadline) {
        const mail = state.to(to).filter(mail => options.subject === undefined || mail.subject === options.subject)[options.skip ?? 0]
        if (mail !== undefined) return mail
        await new Promise(resolve => setTimeout(resolve, 20))
      }
      throw new Error(`no mail to ${to} arrived`)
    },
    to (address) {
      return mails.filter(mail => recipientsOf(mail).includes(address.toLowerCase()))
    }
  }
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData (stream, _session, callback) {
      simpleParser(stream).then(mail => {
        if (state.refusing) {
          callback(Object.assign(new Error('Mailbox busy, try again later'), { responseCode: 451 }))
          return
        }
        mails.push(mail)
        callback()
      }, callback)
    }
  })
  const port = await freePort()
  await new Promise<void>(resolve => server.listen(port, '127.0.0.1', resolve))
  t.teardown(async () => { await new Promise<void>(resolve => server.close(() => { resolve() })) })
  state.url = `smtp://127.0.0.1:${port}`
  return state
}

/** Accepts SMTP connections and never sends the greeting. */
export async function startStalledMailServer (t: Test): Promise<{ url: string, connections: () => number }> {
  const sockets = new Set<Socket>()
  let connections = 0
  const server = createServer(socket => {
    connections++
    sockets.add(socket)
    socket.on('error', () => {})
    socket.on('close', () => sockets.delete(socket))
  })
  const port = await freePort()
  await new Promise<void>(resolve => server.listen(port, '127.0.0.1', resolve))
  t.teardown(async () => {
    for (const socket of sockets) socket.destroy()
    await new Promise<void>(resolve => server.close(() => { resolve() }))
  })
  return { url: `smtp://127.0.0.1:${port}`, connections: () => connections }
}

/** The token of a mailed link (it travels in the fragment: `#token=...`). */
export function tokenOf (mail: ParsedMail): string {
  const match = /#token=([A-Za-z0-9_-]{43})/.exec(mail.text ?? '')
  if (match?.[1] === undefined) throw new Error('no token link in the mail')
  return match[1]
}

/** Asks for a reset of `email` and returns the token of the mail that arrives (the `skip`-th one to that address). */
export async function resetTokenFor (app: { inject: (options: { method: 'POST', url: string, payload: object }) => PromiseLike<{ statusCode: number }> }, smtp: TestMailServer, email: string): Promise<string> {
  const before = smtp.to(email).filter(mail => mail.subject === 'Reset your password').length
  const response = await app.inject({ method: 'POST', url: '/password-resets', payload: { email } })
  if (response.statusCode !== 202) throw new Error(`reset request answered ${response.statusCode}`)
  const deadline = Date.now() + 10_000
  while (Date.now() < deadline) {
    const mail = smtp.to(email).filter(mail => mail.subject === 'Reset your password')[before]
    if (mail !== undefined) return tokenOf(mail)
    await new Promise(resolve => setTimeout(resolve, 20))
  }
  throw new Error(`no reset mail to ${email}`)
}
