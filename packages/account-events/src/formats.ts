/**
 * TypeBox's Value.Check knows no string formats until they are registered; the event schemas use
 * `uuid` and `date-time`. Registration is idempotent and leaves a format someone else registered.
 */
import { FormatRegistry } from '@sinclair/typebox'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const DATE_TIME = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})$/

export function registerEventFormats (): void {
  if (!FormatRegistry.Has('uuid')) FormatRegistry.Set('uuid', value => UUID.test(value))
  if (!FormatRegistry.Has('date-time')) FormatRegistry.Set('date-time', value => DATE_TIME.test(value) && !Number.isNaN(Date.parse(value)))
}
