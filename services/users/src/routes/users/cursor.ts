/**
 * The opaque page cursor of GET /users: the sort key of the last item seen, base64url-encoded
 * JSON. Clients must not build one; anything this service did not issue is a 400.
 */
import { isWellFormedText } from '@latchkey/contracts'
import { invalidCursor } from '../../errors.js'
import type { PagePosition } from '../../plugins/app/profiles/profiles-repository.js'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

export function encodeCursor (position: PagePosition): string {
  return Buffer.from(JSON.stringify([position.sortKey, position.id])).toString('base64url')
}

export function decodeCursor (cursor: string): PagePosition {
  let value: unknown
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'))
  } catch {
    throw invalidCursor()
  }
  if (!Array.isArray(value) || value.length !== 2) throw invalidCursor()
  const [sortKey, id] = value as unknown[]
  if (typeof sortKey !== 'string' || !isWellFormedText(sortKey) || typeof id !== 'string' || !UUID.test(id)) throw invalidCursor()
  return { sortKey, id }
}
