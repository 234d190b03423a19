/**
 * The users service's error catalogue: every expected failure, with its stable code and a detail
 * that is safe to show a client. Thrown from routes; the problem handler shapes the answer.
 */
import { HttpProblem } from '@latchkey/fastify-problem'

export const profileNotCreated = (): HttpProblem =>
  new HttpProblem(404, 'not_found', 'Your profile does not exist yet; it is created shortly after registration')

export const userNotFound = (): HttpProblem =>
  new HttpProblem(404, 'not_found', 'No user has this id')

export const profileChanged = (): HttpProblem =>
  new HttpProblem(412, 'precondition_failed', 'The profile changed since the ETag given in If-Match; fetch it again and retry')

export const mergePatchNotForPut = (): HttpProblem =>
  new HttpProblem(415, 'unsupported_media_type', 'PUT takes a whole profile as application/json')
