/** The caller's sessions: list, revoke one, revoke all (log out everywhere). */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { IdParamsSchema, SessionListSchema } from '@latchkey/contracts'
import { Type } from '@sinclair/typebox'
import { caller } from '@latchkey/fastify-jwt-guard'
import { bearerSecurity, problemResponses, ref } from '@latchkey/service-kit'

const sessions: FastifyPluginAsyncTypebox = async app => {
  app.get('/sessions', {
    onRequest: app.authenticate,
    schema: {
      tags: ['sessions'],
      operationId: 'listMySessions',
      summary: 'The caller\'s live sessions',
      security: bearerSecurity,
      response: { 200: ref(SessionListSchema), ...problemResponses(401, 403, 503) }
    }
  }, async request => ({ items: await app.sessions.list(caller(request).sub, caller(request).sid) }))

  app.delete('/sessions/:id', {
    onRequest: app.authenticate,
    schema: {
      tags: ['sessions'],
      operationId: 'revokeSession',
      summary: 'Revoke one of the caller\'s sessions',
      security: bearerSecurity,
      params: IdParamsSchema,
      response: { 204: Type.Null({ description: 'Session revoked' }), ...problemResponses(400, 401, 403, 404, 503) }
    }
  }, async (request, reply) => {
    await app.sessions.revoke(caller(request).sub, request.params.id, 'revoked_by_user')
    return await reply.code(204).send(null)
  })

  app.delete('/sessions', {
    onRequest: app.authenticate,
    schema: {
      tags: ['sessions'],
      operationId: 'logOutEverywhere',
      summary: 'Log out everywhere',
      description: 'Revokes every session of the account and every access token issued until now, the caller\'s included.',
      security: bearerSecurity,
      response: { 204: Type.Null({ description: 'All sessions revoked' }), ...problemResponses(401, 403, 503) }
    }
  }, async (request, reply) => {
    await app.sessions.revokeAll(caller(request).sub)
    return await reply.code(204).send(null)
  })
}

export default sessions
