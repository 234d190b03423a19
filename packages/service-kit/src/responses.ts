/**
 * Response atoms of both services' route schemas. A response refers to a shared shape by `$id`
 * (one OpenAPI component) but keeps that shape's static type, so the TypeBox type provider checks
 * a handler's return value against the schema it is serialized with. Every problem answer is
 * `application/problem+json` and documents the headers it carries.
 */
import { Type, type SchemaOptions, type Static, type TSchema, type TUnsafe } from '@sinclair/typebox'
import { ProblemSchema } from '@latchkey/contracts'

/** `{ $ref: id }` in the document, the referenced schema's type in TypeScript. */
export function ref<T extends TSchema> (schema: T, options: SchemaOptions = {}): TUnsafe<Static<T>> {
  if (typeof schema.$id !== 'string') throw new TypeError('ref() needs a schema with an $id')
  return Type.Unsafe<Static<T>>(Type.Ref(schema.$id, options))
}

/** Response headers as documented; each is a string schema whose description says when it is sent. */
export const responseHeaders = {
  requestId: { 'X-Request-Id': Type.String({ description: 'The request id: the trusted proxy\'s X-Request-Id, else generated; it is in every log line of the request' }) },
  etag: { ETag: Type.String({ description: 'Strong validator of this version; send it back in If-Match' }) },
  wwwAuthenticate: { 'WWW-Authenticate': Type.String({ description: 'The Bearer challenge (RFC 6750), with error and error_description when a token was presented' }) },
  allow: { Allow: Type.String({ description: 'The methods this path answers to' }) },
  retryAfter: { 'Retry-After': Type.String({ description: 'Seconds to wait before retrying' }) }
} as const

type Headers = Record<string, TSchema>

export function jsonResponse<T extends TSchema> (description: string, schema: T, headers?: Headers): { description: string, headers?: Headers, content: { 'application/json': { schema: T } } } {
  return { description, ...(headers === undefined ? {} : { headers }), content: { 'application/json': { schema } } }
}

const PROBLEMS = {
  400: { description: 'The request is not valid (`validation_failed`, with `errors`)' },
  401: { description: 'Missing, invalid, expired or revoked credentials (`unauthorized`, `token_invalid`, `token_expired`, `token_revoked`, `invalid_credentials`)', headers: responseHeaders.wwwAuthenticate },
  403: { description: 'Authenticated but not allowed (`forbidden`; `mfa_enrollment_required` for a token good only for enrolling a second factor; or the account\'s state forbids it)' },
  404: { description: 'Not found (`not_found`)' },
  405: { description: 'The path exists but not with this method (`method_not_allowed`)', headers: responseHeaders.allow },
  409: { description: 'Conflict with the current state' },
  412: { description: 'If-Match names an outdated version (`precondition_failed`)' },
  413: { description: 'The body exceeds 16 KiB (`payload_too_large`)' },
  415: { description: 'Unsupported Content-Type (`unsupported_media_type`)' },
  429: { description: 'Too many requests (`rate_limited`); retry after Retry-After', headers: responseHeaders.retryAfter },
  500: { description: 'Unexpected error (`internal_error`); the message is never echoed' },
  503: { description: 'A dependency is unavailable (`service_unavailable`), or too much work is waiting (`overloaded`); retry after Retry-After', headers: responseHeaders.retryAfter }
} satisfies Record<number, { description: string, headers?: Headers }>

export type ProblemStatus = keyof typeof PROBLEMS

const ProblemRef = ref(ProblemSchema)

export interface ProblemResponse {
  description: string
  headers?: Headers
  content: { 'application/problem+json': { schema: typeof ProblemRef } }
}

/** The problem answers a route can give, for its `response` map (and so the OpenAPI document). */
export function problemResponses<S extends ProblemStatus[]> (...statuses: S): { [K in S[number]]: ProblemResponse } {
  return Object.fromEntries(statuses.map(status => {
    const problem: { description: string, headers?: Headers } = PROBLEMS[status]
    return [status, problemResponse(problem.description, ProblemRef, problem.headers)]
  })) as { [K in S[number]]: ProblemResponse }
}

/** One problem answer with its own shape (a Problem with extra members, such as mfa_required's). */
export function problemResponse<T extends TSchema> (description: string, schema: T, headers?: Headers): { description: string, headers?: Headers, content: { 'application/problem+json': { schema: T } } } {
  return { description, ...(headers === undefined ? {} : { headers }), content: { 'application/problem+json': { schema } } }
}

/** The security requirement of a route that needs an access token, and of an open one. */
export const bearerSecurity = [{ bearerAuth: [] }]
export const openSecurity: Array<Record<string, string[]>> = []
