/** The authenticated caller's account id; only called behind app.authenticate. */
import type { FastifyRequest } from 'fastify'
import { HttpProblem } from '@latchkey/fastify-problem'

export function callerId (request: FastifyRequest): string {
  const auth = request.auth
  if (auth === null || auth === undefined) throw new HttpProblem(401, 'unauthorized', 'An access token is required', { headers: { 'www-authenticate': 'Bearer' } })
  return auth.sub
}
