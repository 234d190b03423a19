/** DELETE /accounts/{id}/mfa: an administrator resets an account's second factor (lost device and recovery codes). */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { IdParamsSchema } from '@latchkey/contracts'
import { Type } from '@sinclair/typebox'
import { bearerSecurity, problemResponses } from '@latchkey/service-kit'

const adminMfa: FastifyPluginAsyncTypebox = async app => {
  app.delete('/accounts/:id/mfa', {
    onRequest: [app.authenticate, app.requireRole('admin')],
    schema: {
      tags: ['admin'],
      operationId: 'resetAccountMfa',
      summary: 'Reset an account\'s second factor',
      description: 'Removes the TOTP factor and the recovery codes, and revokes every session and access token of the account. Idempotent for an account without a factor.',
      security: bearerSecurity,
      params: IdParamsSchema,
      response: { 204: Type.Null({ description: 'Second factor removed' }), ...problemResponses(400, 401, 403, 404, 503) }
    }
  }, async (request, reply) => {
    await app.mfa.reset(request.params.id)
    return await reply.code(204).send(null)
  })
}

export default adminMfa
