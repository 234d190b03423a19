/**
 * The wire format of one stream entry: exactly one field, `event`, holding the JSON of an
 * AccountEvent. Decoding never throws; a bad entry yields the reason it is bad, for the dead-letter
 * stream.
 */
import { Value } from '@sinclair/typebox/value'
import { ACCOUNT_EVENTS_STREAM, AccountEventSchema, type AccountEvent } from '@latchkey/contracts'
import { sameSlot, type RedisSettings } from '@latchkey/redis-kit'
import { registerEventFormats } from './formats.js'

registerEventFormats()

export const EVENT_FIELD = 'event'

/**
 * The stream (with its consumer groups) and its dead letters: a malformed entry moves to the
 * dead letters and is acknowledged in one transaction, so in Redis Cluster both keys share the
 * stream's name as hash tag (`<prefix>{account-events}`), and so one slot. Without a cluster
 * `settings` leaves the names as they always were.
 */
export function streamKey (prefix: string, settings: RedisSettings = {}): string {
  return `${prefix}${sameSlot(settings, ACCOUNT_EVENTS_STREAM)}`
}

export function deadLetterKey (prefix: string, settings: RedisSettings = {}): string {
  return `${streamKey(prefix, settings)}:dead`
}

export function encodeEvent (event: AccountEvent): string {
  return JSON.stringify(event)
}

export type DecodedEntry = { ok: true, event: AccountEvent } | { ok: false, reason: string, raw: string }

export function decodeEntry (fields: readonly string[] | null): DecodedEntry {
  if (fields === null) return { ok: false, reason: 'entry has no fields', raw: '' }
  if (fields.length !== 2 || fields[0] !== EVENT_FIELD) {
    return { ok: false, reason: `expected exactly one field "${EVENT_FIELD}"`, raw: JSON.stringify(fields) }
  }
  const raw = fields[1] ?? ''
  let parsed: unknown
  try {
    parsed = JSON.parse(raw)
  } catch {
    return { ok: false, reason: 'event is not valid JSON', raw }
  }
  if (!Value.Check(AccountEventSchema, parsed)) {
    const first = Value.Errors(AccountEventSchema, parsed).First()
    const where = first === undefined ? '' : `${first.path || '/'}: ${first.message}`
    return { ok: false, reason: `event does not match AccountEvent (${where})`, raw }
  }
  return { ok: true, event: parsed }
}
