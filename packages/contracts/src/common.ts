/** Small schema atoms shared by both services: ids, timestamps, pagination. */
import { Type, type TSchema } from '@sinclair/typebox'

export const UuidSchema = Type.String({ format: 'uuid', maxLength: 36 })
export const TimestampSchema = Type.String({ format: 'date-time', maxLength: 40 })

export const IdParamsSchema = Type.Object({ id: UuidSchema }, { additionalProperties: false })

export const PageQueryProperties = {
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
  cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'Opaque; from nextCursor' }))
}

export function PageSchema<T extends TSchema> (item: T, $id: string) {
  return Type.Object({
    items: Type.Array(item),
    nextCursor: Type.Union([Type.String(), Type.Null()])
  }, { $id, additionalProperties: false })
}
