/**
 * Response schema atoms shared by the routes: problem answers per status, and JSON bodies
 * referring to the shared shapes by $id, so every status a route can give is in the OpenAPI
 * document with its real media type.
 */
import { Type, type TSchema } from '@sinclair/typebox'

const PROBLEM_DESCRIPTIONS = {
  400: 'The request is not valid (`validation_failed`, with `errors`)',
  401: 'No, invalid, expired or revoked access token (`unauthorized`, `token_invalid`, `token_expired`, `token_revoked`)',
  403: 'Authenticated but not allowed (`forbidden`)',
  404: 'Not found (`not_found`)',
  412: 'If-Match names an outdated version (`precondition_failed`)',
  413: 'The body exceeds 16 KiB (`payload_too_large`)',
  415: 'Unsupported Content-Type (`unsupported_media_type`)',
  500: 'Unexpected error (`internal_error`)',
  503: 'Token revocations cannot be confirmed right now (`service_unavailable`)'
} as const

export type ProblemStatus = keyof typeof PROBLEM_DESCRIPTIONS

const ProblemRef = Type.Ref('Problem')

export function problemResponses (...statuses: ProblemStatus[]) {
  return Object.fromEntries(statuses.map(status => [status, {
    description: PROBLEM_DESCRIPTIONS[status],
    content: { 'application/problem+json': { schema: ProblemRef } }
  }]))
}

/** Every route behind the guard can answer these. */
export const GUARDED_PROBLEMS: ProblemStatus[] = [401, 500, 503]

export function jsonResponse (description: string, schema: TSchema, headers?: Record<string, TSchema>) {
  return { description, ...(headers === undefined ? {} : { headers }), content: { 'application/json': { schema } } }
}

export const ETAG_HEADER = {
  ETag: Type.String({ description: 'Strong validator of this profile version; send it back in If-Match' })
}

/** What PATCH bodies may be sent as (the OpenAPI requestBody media types). */
export const PATCH_MEDIA_TYPES = ['application/merge-patch+json', 'application/json']

export const IfMatchHeadersSchema = Type.Object({
  'if-match': Type.Optional(Type.String({ maxLength: 1024, description: 'An ETag from a previous read: the write only happens while the profile is still at that version' }))
})

export const BEARER_AUTH = [{ bearerAuth: [] }]
