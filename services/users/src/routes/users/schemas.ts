/**
 * Schema atoms of the profile routes: the problems every guarded route can answer, the media
 * types of PATCH bodies and the If-Match request header.
 */
import { Type } from '@sinclair/typebox'
import type { ProblemStatus } from '@latchkey/service-kit'

/** Every route behind the guard can answer these (403: mfa_enrollment_required, or a missing role). */
export const GUARDED_PROBLEMS = [401, 403, 500, 503] as const satisfies readonly ProblemStatus[]

/** What PATCH bodies may be sent as (the OpenAPI requestBody media types). */
export const PATCH_MEDIA_TYPES = ['application/merge-patch+json', 'application/json']

export const IfMatchHeadersSchema = Type.Object({
  'if-match': Type.Optional(Type.String({ maxLength: 1024, description: 'An ETag from a previous read: the write only happens while the profile is still at that version' }))
})
