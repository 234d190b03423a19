/**
 * The password rules (NIST SP 800-63B, ASVS 6.2): a length floor (PASSWORD_MIN_LENGTH) up to 256
 * characters, no composition rules, never truncated; refused when among the ~49,000 most common
 * passwords (the dictionary of @zxcvbn-ts/language-common, compiled from public password leaks),
 * or when it contains the email's local part or a context word (ASVS 6.1.2, 6.2.4, 6.2.11).
 * Each refusal names its rule, so a client can say what to change.
 */
import { dictionary } from '@zxcvbn-ts/language-common'
import type { FieldError } from '@latchkey/contracts'

const commonPasswords = new Set(dictionary['passwords-common'].map(password => password.toLowerCase()))

/** Words tied to this product that make a password guessable here. */
const CONTEXT_WORDS = ['latchkey']

export function passwordProblems (password: string, options: { path: string, minLength: number, email?: string }): FieldError[] {
  const problems: FieldError[] = []
  const lower = password.toLowerCase()
  // Counted in code points, as JSON Schema counts maxLength: an emoji is one character.
  // eslint-disable-next-line @typescript-eslint/no-misused-spread -- code points are the unit wanted here
  if ([...password].length < options.minLength) {
    problems.push({ path: options.path, message: `must be at least ${options.minLength} characters (rule: min_length)` })
  }
  if (commonPasswords.has(lower)) {
    problems.push({ path: options.path, message: 'is one of the most common passwords (rule: common_password)' })
  }
  const localPart = options.email?.trim().toLowerCase().split('@')[0] ?? ''
  if (localPart.length >= 3 && lower.includes(localPart)) {
    problems.push({ path: options.path, message: 'must not contain the name part of your email (rule: contains_email)' })
  }
  for (const word of CONTEXT_WORDS) {
    if (lower.includes(word)) problems.push({ path: options.path, message: `must not contain "${word}" (rule: context_word)` })
  }
  return problems
}
