/** The RFC 9457 problem-details body every error answer of both services carries. */
import { Type, type Static, type TRef } from '@sinclair/typebox'

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

const statusDescriptions: Record<number, string> = {
  400: 'Invalid request (validation_failed)',
  401: 'Missing, invalid, expired or revoked credentials',
  403: 'Authenticated but not allowed',
  404: 'Not found',
  405: 'The path exists but not with this method (see Allow)',
  409: 'Conflict',
  412: 'Precondition failed: the resource changed (If-Match)',
  413: 'Request body too large',
  415: 'Unsupported media type',
  429: 'Rate limited',
  503: 'A dependency is unavailable (service_unavailable), or too much work is waiting (overloaded); retry after Retry-After'
}

/** Response schemas of problem answers, for a route's `response` map (and so the OpenAPI document). */
export function problemResponses (...statuses: number[]): Record<number, TRef<'Problem'>> {
  return Object.fromEntries(statuses.map(status => [status, Type.Ref('Problem', { description: statusDescriptions[status] ?? 'Problem' })]))
}
