/**
 * The mails the auth service sends, as templates: a subject, a plain-text and an HTML body per
 * kind, with `{{name}}` placeholders. The built-in wording can be replaced file by file from
 * MAIL_TEMPLATES_DIR (`<kind>.subject`, `<kind>.txt`, `<kind>.html`); values are HTML-escaped in
 * the HTML body, and a subject never carries a line break (no header injection, ASVS 1.3.11).
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'

export const mailKinds = [
  'email-verification', 'email-change', 'email-change-notice', 'password-reset', 'password-changed', 'registration-attempt'
] as const

export type MailKind = typeof mailKinds[number]

export interface MailTemplate { subject: string, text: string, html: string }

export interface RenderedMail { subject: string, text: string, html: string }

function page (paragraphs: string[]): string {
  return `<!doctype html>\n<html><body>\n${paragraphs.map(p => `<p>${p}</p>`).join('\n')}\n</body></html>\n`
}

const builtIn: Record<MailKind, MailTemplate> = {
  'email-verification': {
    subject: 'Confirm your email address',
    text: 'Confirm that this address belongs to your account by opening this link:\n\n{{link}}\n\nThe link works once and expires in {{expiresInMinutes}} minutes. If you did not create an account, ignore this mail.\n',
    html: page(['Confirm that this address belongs to your account:', '<a href="{{link}}">Confirm my email address</a>',
      'The link works once and expires in {{expiresInMinutes}} minutes. If you did not create an account, ignore this mail.'])
  },
  'email-change': {
    subject: 'Confirm your new email address',
    text: 'Your account asked to use this address from now on. Confirm it by opening this link:\n\n{{link}}\n\nThe link works once and expires in {{expiresInMinutes}} minutes. Until then your account keeps its old address.\n',
    html: page(['Your account asked to use this address from now on.', '<a href="{{link}}">Confirm my new email address</a>',
      'The link works once and expires in {{expiresInMinutes}} minutes. Until then your account keeps its old address.'])
  },
  'email-change-notice': {
    subject: 'Your email address is being changed',
    text: 'Someone signed in to your account asked to change its email address. The change happens only when it is confirmed from the new address.\n\nIf this was not you, change your password now.\n',
    html: page(['Someone signed in to your account asked to change its email address. The change happens only when it is confirmed from the new address.',
      'If this was not you, change your password now.'])
  },
  'password-reset': {
    subject: 'Reset your password',
    text: 'Someone asked to reset the password of your account. Choose a new password here:\n\n{{link}}\n\nThe link works once and expires in {{expiresInMinutes}} minutes. If you did not ask for this, ignore this mail: your password stays as it is.\n',
    html: page(['Someone asked to reset the password of your account.', '<a href="{{link}}">Choose a new password</a>',
      'The link works once and expires in {{expiresInMinutes}} minutes. If you did not ask for this, ignore this mail: your password stays as it is.'])
  },
  'password-changed': {
    subject: 'Your password was changed',
    text: 'The password of your account was just changed and every session was signed out.\n\nIf this was not you, reset your password at once and contact your administrator.\n',
    html: page(['The password of your account was just changed and every session was signed out.',
      'If this was not you, reset your password at once and contact your administrator.'])
  },
  'registration-attempt': {
    subject: 'Someone tried to register with your address',
    text: 'Someone tried to create an account with this address, but you already have one. Nothing was changed.\n\nIf this was you and you forgot your password, ask for a password reset.\n',
    html: page(['Someone tried to create an account with this address, but you already have one. Nothing was changed.',
      'If this was you and you forgot your password, ask for a password reset.'])
  }
}

function escapeHtml (value: string): string {
  return value.replace(/[&<>"']/g, c => `&#${c.charCodeAt(0)};`)
}

function fill (template: string, values: Record<string, string>, escape: (value: string) => string): string {
  return template.replace(/\{\{(\w+)\}\}/g, (whole, name: string) => {
    const value = values[name]
    return value === undefined ? whole : escape(value)
  })
}

async function readOptional (path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8')
  } catch (error) {
    if ((error as { code?: string }).code === 'ENOENT') return undefined
    throw error
  }
}

/** Built-in templates, each part replaced by the operator's file of the same name when there is one. */
export async function loadMailTemplates (directory: string | undefined): Promise<Record<MailKind, MailTemplate>> {
  const templates = { ...builtIn }
  if (directory === undefined) return templates
  for (const kind of mailKinds) {
    const [subject, text, html] = await Promise.all(['subject', 'txt', 'html'].map(async ext => await readOptional(join(directory, `${kind}.${ext}`))))
    templates[kind] = { subject: subject?.trim() ?? builtIn[kind].subject, text: text ?? builtIn[kind].text, html: html ?? builtIn[kind].html }
  }
  return templates
}

export function renderMail (template: MailTemplate, values: Record<string, string>): RenderedMail {
  return {
    subject: fill(template.subject, values, v => v).replace(/[\r\n]+/g, ' '),
    text: fill(template.text, values, v => v),
    html: fill(template.html, values, escapeHtml)
  }
}
