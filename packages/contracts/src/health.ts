/** Liveness and readiness answers of both services. */
import { Type, type Static } from '@sinclair/typebox'

export const HealthSchema = Type.Object({
  status: Type.Union([Type.Literal('ok'), Type.Literal('unavailable')]),
  checks: Type.Optional(Type.Record(Type.String(), Type.Union([Type.Literal('ok'), Type.Literal('failing')])))
}, { $id: 'Health', additionalProperties: false })

export type Health = Static<typeof HealthSchema>
