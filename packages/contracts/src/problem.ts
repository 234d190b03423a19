/** The RFC 9457 problem-details body every error answer of both services carries. */
import { Type, type Static } from '@sinclair/typebox'

export const FieldErrorSchema = Type.Object({
  path: Type.String({ description: 'JSON Pointer to the offending value ("" for the whole body)' }),
  message: Type.String()
}, { $id: 'FieldError', additionalProperties: false })

export const ProblemSchema = Type.Object({
  type: Type.String({ format: 'uri' }),
  title: Type.String(),
  status: Type.Integer({ minimum: 400, maximum: 599 }),
  detail: Type.String(),
  code: Type.String({ description: 'Stable machine-readable error code' }),
  errors: Type.Optional(Type.Array(Type.Ref('FieldError')))
}, { $id: 'Problem', additionalProperties: false })

export type FieldError = Static<typeof FieldErrorSchema>
export type Problem = Static<typeof ProblemSchema> & { errors?: FieldError[] }
