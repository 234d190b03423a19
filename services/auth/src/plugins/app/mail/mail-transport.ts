/**
 * Where mails go: the SMTP server of SMTP_URL, through nodemailer, with bounded timeouts so a
 * stalled server holds a delivery for seconds, not minutes. Without SMTP_URL (development only;
 * production refuses to start without it) each mail is composed the same way and written as an
 * `.eml` file under DATA_DIR/mail, so `pnpm start` needs no mail server.
 */
import { mkdir, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { randomUUID } from 'node:crypto'
import { createTransport } from 'nodemailer'

export interface OutgoingMail { from: string, to: string, subject: string, text: string, html: string }

export interface MailTransport {
  /** Resolves once the message is accepted; for the file transport, with the file it wrote. */
  send (mail: OutgoingMail): Promise<{ file?: string }>
  close (): void
}

export function createSmtpTransport (url: string): MailTransport {
  const transport = createTransport({ url, connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 30_000, logger: false })
  return {
    async send (mail) {
      await transport.sendMail(mail)
      return {}
    },
    close () { transport.close() }
  }
}

export function createFileTransport (dataDir: string): MailTransport {
  const directory = resolve(dataDir, 'mail')
  const transport = createTransport({ streamTransport: true, buffer: true, newline: 'unix' })
  return {
    async send (mail) {
      const { message } = await transport.sendMail(mail)
      await mkdir(directory, { recursive: true, mode: 0o700 })
      const file = join(directory, `${new Date().toISOString().replace(/[:.]/g, '-')}-${randomUUID()}.eml`)
      // The file holds a live link: readable by this user only.
      await writeFile(file, message as Buffer, { mode: 0o600 })
      return { file }
    },
    close () { transport.close() }
  }
}
