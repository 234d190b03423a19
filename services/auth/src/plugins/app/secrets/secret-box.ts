/**
 * Secrets at rest: an envelope sealed with AES-256-GCM under the key-encryption key SECRETS_KEY
 * (or the file SECRETS_KEY_FILE names). An envelope reads `v1.<key id>.<iv|ciphertext|tag>`, the
 * key id being a digest of the key, so a database restored under another key fails loudly instead
 * of yielding garbage. Each envelope is bound to a context (e.g. the account it belongs to): a
 * sealed value copied to another row does not open.
 *
 * Re-keying: the box always seals under SECRETS_KEY and opens under whichever key the envelope's
 * id names, SECRETS_KEY or one of SECRETS_KEY_PREVIOUS, so replicas keep working while
 * `latchkey-admin rekey-secrets` re-seals the rows of the old keys.
 *
 * Sealed under it: the generated signing keys, the refresh-token secret and TOTP secrets. Without
 * either variable, the embedded default (no DATABASE_URL) generates a key once and keeps it in
 * DATA_DIR/secrets.key (mode 0600); anywhere else the service refuses to start.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto'
import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { ConfigError } from '@latchkey/contracts'

const VERSION = 'v1'
const KEY_BYTES = 32
const IV_BYTES = 12
const TAG_BYTES = 16

export interface SecretBox {
  /** Identifies the key it seals under, SECRETS_KEY (not secret): a digest of it. */
  keyId: string
  /** Every key id it opens: SECRETS_KEY's first, then SECRETS_KEY_PREVIOUS'. */
  keyIds: readonly string[]
  seal (plaintext: Buffer, context: string): string
  /** The plaintext; throws for an envelope of an unknown key or another context, or one that was altered. */
  open (envelope: string, context: string): Buffer
}

/** The key id an envelope names (not secret), or undefined for what is not an envelope. */
export function envelopeKeyId (envelope: string): string | undefined {
  const [version, id, body] = envelope.split('.')
  return version === VERSION && body !== undefined ? id : undefined
}

const keyIdOf = (key: Buffer): string => createHash('sha256').update('latchkey secrets key id\0').update(key).digest('base64url').slice(0, 11)

/** Seals under `key`; opens under it or any of `previous` (older keys being re-keyed away). */
export function createSecretBox (key: Buffer, previous: readonly Buffer[] = []): SecretBox {
  if (key.length !== KEY_BYTES || previous.some(old => old.length !== KEY_BYTES)) throw new Error('the secrets key must be 32 bytes')
  const keyId = keyIdOf(key)
  const keys = new Map<string, Buffer>([[keyId, key]])
  for (const old of previous) if (!keys.has(keyIdOf(old))) keys.set(keyIdOf(old), old)
  const aad = (id: string, context: string): Buffer => Buffer.from(`${VERSION}.${id}.${context}`)
  return {
    keyId,
    keyIds: [...keys.keys()],
    seal (plaintext, context) {
      const iv = randomBytes(IV_BYTES)
      const cipher = createCipheriv('aes-256-gcm', key, iv).setAAD(aad(keyId, context))
      const sealed = Buffer.concat([iv, cipher.update(plaintext), cipher.final(), cipher.getAuthTag()])
      return `${VERSION}.${keyId}.${sealed.toString('base64url')}`
    },
    open (envelope, context) {
      const [version, id, body] = envelope.split('.')
      if (version !== VERSION || id === undefined || body === undefined) throw new Error('not a secret envelope')
      const openingKey = keys.get(id)
      // Key ids are digests, safe to name; the keys and the value never appear.
      if (openingKey === undefined) throw new Error(`secret sealed under an unknown key (id ${id}; SECRETS_KEY is ${keyId}${keys.size > 1 ? `, SECRETS_KEY_PREVIOUS ${[...keys.keys()].slice(1).join(', ')}` : ''}): set the key it was sealed under in SECRETS_KEY_PREVIOUS`)
      const sealed = Buffer.from(body, 'base64url')
      if (sealed.length < IV_BYTES + TAG_BYTES) throw new Error('secret envelope truncated')
      const decipher = createDecipheriv('aes-256-gcm', openingKey, sealed.subarray(0, IV_BYTES)).setAAD(aad(id, context))
      decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES))
      return Buffer.concat([decipher.update(sealed.subarray(IV_BYTES, sealed.length - TAG_BYTES)), decipher.final()])
    }
  }
}

/** 32 bytes in base64 or base64url; the message names the variable and never shows the value. */
function decodeKey (text: string, name: string): Buffer {
  const trimmed = text.trim()
  const key = /^[A-Za-z0-9+/_-]{43}=?$/.test(trimmed) ? Buffer.from(trimmed.replace(/=$/, ''), 'base64url') : Buffer.alloc(0)
  if (key.length !== KEY_BYTES) throw new ConfigError([`${name}: must be 32 random bytes in base64, e.g. from \`openssl rand -base64 32\` (the value is not shown)`])
  return key
}

async function generatedKey (dataDir: string): Promise<Buffer> {
  const path = join(dataDir, 'secrets.key')
  await mkdir(dataDir, { recursive: true })
  try {
    await writeFile(path, `${randomBytes(KEY_BYTES).toString('base64')}\n`, { flag: 'wx', mode: 0o600 })
  } catch (error) {
    if ((error as { code?: string }).code !== 'EEXIST') throw error
  }
  // Whatever umask or copy made it wider, the key is readable by this user only.
  if (((await stat(path)).mode & 0o077) !== 0) await chmod(path, 0o600)
  return decodeKey(await readFile(path, 'utf8'), path)
}

export interface SecretsKeyConfig {
  /** Given directly or read from SECRETS_KEY_FILE by the configuration parser. */
  SECRETS_KEY?: string | undefined
  /** Comma-separated older keys, still opened while re-keying (or SECRETS_KEY_PREVIOUS_FILE). */
  SECRETS_KEY_PREVIOUS?: string | undefined
  DATABASE_URL?: string | undefined
  DATA_DIR: string
}

/** The key-encryption key; outside the embedded default there is no start without one. */
export async function loadSecretsKey (config: SecretsKeyConfig): Promise<Buffer> {
  if (config.SECRETS_KEY !== undefined) return decodeKey(config.SECRETS_KEY, 'SECRETS_KEY')
  if (config.DATABASE_URL === undefined) return await generatedKey(config.DATA_DIR)
  throw new ConfigError(['SECRETS_KEY or SECRETS_KEY_FILE: required with DATABASE_URL (the key-encryption key of the secrets kept in the database)'])
}

/** SECRETS_KEY_PREVIOUS: the older keys the box still opens with (none when unset). */
export function loadPreviousSecretsKeys (config: SecretsKeyConfig): Buffer[] {
  const items = (config.SECRETS_KEY_PREVIOUS ?? '').split(',').map(item => item.trim()).filter(item => item !== '')
  return items.map((item, index) => decodeKey(item, `SECRETS_KEY_PREVIOUS (item ${index + 1})`))
}

/** The secret box of this configuration: sealing under SECRETS_KEY, opening also under SECRETS_KEY_PREVIOUS. */
export async function loadSecretBox (config: SecretsKeyConfig): Promise<SecretBox> {
  return createSecretBox(await loadSecretsKey(config), loadPreviousSecretsKeys(config))
}
