/** Small schema atoms shared by both services: ids, timestamps, pagination. */
import { FormatRegistry, Type, type TSchema } from '@sinclair/typebox'

/**
 * The one UUID rule: RFC 9562's 36-character textual form, hex digits in either case (the RFC
 * reads both; PostgreSQL prints lower case). No braces, no `urn:uuid:` prefix. Ajv's `uuid`
 * format (fastify-problem), TypeBox's (registered here, for `Value.Check`), the guard's claims
 * rules and the page cursors all use it.
 */
const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/

export function isUuid (value: unknown): value is string {
  return typeof value === 'string' && UUID.test(value)
}

// TypeBox's Value.Check refuses every string of a format it does not know.
FormatRegistry.Set('uuid', isUuid)

export const UuidSchema = Type.String({ format: 'uuid', maxLength: 36 })
export const TimestampSchema = Type.String({ format: 'date-time', maxLength: 40 })

/** A TOTP code (RFC 6238, 6 digits): the second factor, also the step-up proof of sensitive changes. */
export const TotpCodeSchema = Type.String({ pattern: '^[0-9]{6}$', minLength: 6, maxLength: 6, description: 'The 6-digit code the authenticator app shows' })

export const IdParamsSchema = Type.Object({ id: UuidSchema }, { additionalProperties: false })

export const PageQueryProperties = {
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
  // The directory's cursor holds a lower-cased name of up to 100 characters: up to ~6 bytes each
  // once lower-cased and JSON-escaped, then base64url (4/3): about 860 characters at worst.
  cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 1024, description: 'Opaque; from nextCursor' }))
}

export function PageSchema<T extends TSchema> (item: T, $id: string) {
  return Type.Object({
    items: Type.Array(item),
    nextCursor: Type.Union([Type.String(), Type.Null()])
  }, { $id, additionalProperties: false })
}
