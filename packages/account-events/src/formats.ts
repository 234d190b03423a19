/**
 * TypeBox's Value.Check knows no string formats until they are registered; the event schemas use
 * `uuid` (registered by @latchkey/contracts, with the one UUID rule) and `date-time`.
 * Registration is idempotent and leaves a format someone else registered.
 */
import { FormatRegistry } from '@sinclair/typebox'

const DATE_TIME = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})$/

export function registerEventFormats (): void {
  if (!FormatRegistry.Has('date-time')) FormatRegistry.Set('date-time', value => DATE_TIME.test(value) && !Number.isNaN(Date.parse(value)))
}
