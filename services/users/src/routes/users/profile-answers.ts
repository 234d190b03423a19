/**
 * Turns a repository write outcome into the HTTP answer shared by every profile write (PATCH and
 * PUT /users/me, admin PATCH /users/{id}): the profile with its new ETag, or the matching problem.
 */
import type { FastifyReply } from 'fastify'
import type { Profile } from '@latchkey/contracts'
import type { HttpProblem } from '@latchkey/fastify-problem'
import type { WriteOutcome } from '../../plugins/app/profiles/profiles-repository.js'
import { profileChanged } from '../../errors.js'
import { parseIfMatch, profileEtag } from './etag.js'

/** The versions a write may apply to: undefined without If-Match (or with `*`). */
export function expectedVersions (ifMatch: string | undefined): number[] | undefined {
  const parsed = parseIfMatch(ifMatch)
  return parsed.kind === 'versions' ? parsed.versions : undefined
}

export function answerWrite (reply: FastifyReply, outcome: WriteOutcome, notFound: () => HttpProblem): Profile {
  if (outcome.status === 'not_found') throw notFound()
  if (outcome.status === 'stale') throw profileChanged()
  reply.header('etag', profileEtag(outcome.version))
  return outcome.profile
}

/** Profiles about a person are private answers: never stored by a shared cache. */
export function noStore (reply: FastifyReply): void {
  reply.header('cache-control', 'no-store')
}
