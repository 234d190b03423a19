/** Route atoms of this service: security requirements of protected and open routes, the caller. */
import type { FastifyRequest } from 'fastify'
import type { RequestAuth } from '@latchkey/fastify-jwt-guard'
export const bearerSecurity = [{ bearerAuth: [] }]
export const openSecurity: Array<Record<string, string[]>> = []

/** The authenticated caller of a route guarded by app.authenticate. */
export function caller (request: FastifyRequest): RequestAuth {
  if (request.auth === null) throw new Error('route is missing app.authenticate')
  return request.auth
}
