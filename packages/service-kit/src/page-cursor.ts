/**
 * The page cursor both services hand out as `nextCursor`: the sort key of the last item of a page,
 * a JSON array, base64url-encoded. Clients pass it back untouched; anything else is a 400 naming
 * `/cursor`.
 *
 * It is validated strictly rather than signed. A cursor carries no authority: it only says where
 * a page of the same query starts, and that query is filtered and authorized the same way whatever
 * the cursor holds, so a forged position shows nothing an honest one could not. A signature would
 * need one secret shared by every replica, to protect nothing. What must hold is that no cursor
 * reaches SQL unless it has exactly the position's shape: the canonical base64url of a JSON array
 * that the service's tuple schema accepts, with every string well-formed text (PostgreSQL stores
 * no NUL, and a lone surrogate would compare as U+FFFD).
 */
import type { Static, TTuple } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import { isWellFormedText } from '@latchkey/contracts'
import { validationProblem } from '@latchkey/fastify-problem'

const BASE64URL = /^[A-Za-z0-9_-]+$/

export interface PageCursor<Position> {
  encode: (position: Position) => string
  /** The position `cursor` holds; throws a 400 problem for anything `encode` did not make. */
  decode: (cursor: string) => Position
}

function wellFormed (value: unknown): boolean {
  return typeof value !== 'string' || isWellFormedText(value)
}

/** The codec of one kind of position, e.g. `Type.Tuple([TimestampText, UuidSchema])`. */
export function pageCursor<T extends TTuple> (position: T): PageCursor<Static<T>> {
  const refused = () => validationProblem('/cursor', 'is not a cursor this service issued')
  return {
    encode: value => Buffer.from(JSON.stringify(value)).toString('base64url'),
    decode: cursor => {
      // Node's base64url decoder skips characters outside the alphabet and ignores trailing bits,
      // so many strings would decode to one position: only the one encode makes is accepted.
      if (!BASE64URL.test(cursor)) throw refused()
      const bytes = Buffer.from(cursor, 'base64url')
      if (bytes.toString('base64url') !== cursor) throw refused()
      let value: unknown
      try {
        value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes))
      } catch {
        throw refused()
      }
      if (!Value.Check(position, value) || !(value as unknown[]).every(wellFormed)) throw refused()
      return value
    }
  }
}
