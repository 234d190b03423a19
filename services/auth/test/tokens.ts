/**
 * Token forgery for attack tests: tokens signed with keys the test makes, or re-assembled from a
 * genuine token's parts.
 */
import { createHmac, generateKeyPairSync, sign, type KeyObject } from 'node:crypto'

export function b64url (value: unknown): string {
  return Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url')
}

export function decodePart (token: string, index: 0 | 1): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[index] ?? '', 'base64url').toString('utf8'))
}

export function signEd25519 (header: object, payload: object, key: KeyObject): string {
  const input = `${b64url(header)}.${b64url(payload)}`
  return `${input}.${sign(null, Buffer.from(input), key).toString('base64url')}`
}

export function signHs256 (header: object, payload: object, secret: Buffer | string): string {
  const input = `${b64url(header)}.${b64url(payload)}`
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`
}

export function attackerKey (): KeyObject {
  return generateKeyPairSync('ed25519').privateKey
}
