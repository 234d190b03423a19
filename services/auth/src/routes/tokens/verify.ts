/** GET /verify: forward-auth for gateways (nginx auth_request, Traefik forwardAuth, Envoy ext_authz). */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { VerifyResponseSchema } from '@latchkey/contracts'
import { caller } from '@latchkey/fastify-jwt-guard'
import { bearerSecurity, problemResponses, ref } from '@latchkey/service-kit'

const verify: FastifyPluginAsyncTypebox = async app => {
  app.get('/verify', {
    onRequest: app.authenticate,
    schema: {
      tags: ['tokens'],
      operationId: 'verifyToken',
      summary: 'Verify an access token',
      description: 'Checks signature, claims and revocation from memory (no database or Redis round trip) and answers the subject in headers for a gateway to forward.',
      security: bearerSecurity,
      response: {
        200: ref(VerifyResponseSchema, {
          description: 'Valid token; X-Auth-Subject, X-Auth-Session, X-Auth-Roles and X-Auth-AMR carry sub, sid, roles and amr (`pwd`, or `pwd,otp` after a second factor)'
        }),
        ...problemResponses(401, 403, 503)
      }
    }
  }, (request, reply) => {
    // Synchronous on purpose: the hot path of every gateway request. Fastify sends a returned
    // value at once, where an async handler costs a promise and a microtask per request.
    const { sub, sid, roles, exp, amr } = caller(request)
    reply.header('x-auth-subject', sub).header('x-auth-session', sid).header('x-auth-roles', roles.join(',')).header('x-auth-amr', amr.join(','))
    return { sub, sid, roles, exp }
  })
}

export default verify
