/**
 * Text both services accept: well-formed Unicode without NUL, with one length rule. PostgreSQL
 * cannot store NUL in text, and a lone surrogate would be stored as U+FFFD, so two different
 * inputs (two emails) would become one value.
 *
 * Lengths are counted in Unicode code points everywhere: JSON Schema (Ajv at the HTTP edge) and
 * PostgreSQL's char_length count them, while JavaScript's `.length` and TypeBox's `Value.Check`
 * count UTF-16 units, so an emoji would be one character at one layer and two at the next (a name
 * accepted at registration, then refused by the event consumer). Schemas of bounded text are made
 * with `TextSchema`, whose TypeBox check counts code points as Ajv does.
 */
import { Kind, Type, TypeRegistry, type TUnsafe } from '@sinclair/typebox'

// eslint-disable-next-line no-control-regex -- NUL is one of the characters this rejects
const NUL_OR_LONE_SURROGATE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

export function isWellFormedText (value: string): boolean {
  return !NUL_OR_LONE_SURROGATE.test(value)
}

/** The length of `value` in Unicode code points: the one length rule of every layer. */
export function textLength (value: string): number {
  let length = 0
  for (const _ of value) length++
  return length
}

export interface TextOptions {
  minLength?: number
  maxLength?: number
  /** Matched with the `u` flag, as Ajv does. */
  pattern?: string
  description?: string
}

const TEXT_KIND = 'LatchkeyText'

function isText (schema: TextOptions, value: unknown): boolean {
  if (typeof value !== 'string') return false
  const length = textLength(value)
  if (schema.minLength !== undefined && length < schema.minLength) return false
  if (schema.maxLength !== undefined && length > schema.maxLength) return false
  return schema.pattern === undefined || new RegExp(schema.pattern, 'u').test(value)
}

TypeRegistry.Set<TextOptions>(TEXT_KIND, isText)

/** A JSON Schema string (for Ajv and OpenAPI) that TypeBox's `Value.Check` measures the same way. */
export function TextSchema (options: TextOptions): TUnsafe<string> {
  return Type.Unsafe<string>({ ...options, type: 'string', [Kind]: TEXT_KIND })
}
