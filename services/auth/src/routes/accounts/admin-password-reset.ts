/** An administrator starts a password reset: the owner gets the mail and chooses the password (ASVS 6.4.6). */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { AcceptedSchema, IdParamsSchema } from '@latchkey/contracts'
import { bearerSecurity, problemResponses, ref } from '@latchkey/service-kit'

const adminPasswordReset: FastifyPluginAsyncTypebox = async app => {
  app.post('/accounts/:id/password-reset', {
    onRequest: [app.authenticate, app.requireRole('admin')],
    schema: {
      tags: ['admin'],
      operationId: 'sendPasswordReset',
      summary: 'Mail a password reset link to an account',
      description: 'The administrator never sees or chooses the password; the account keeps working until the owner uses the link.',
      security: bearerSecurity,
      params: IdParamsSchema,
      response: { 202: ref(AcceptedSchema), ...problemResponses(400, 401, 403, 404, 503) }
    }
  }, async (request, reply) => {
    await app.recovery.sendPasswordReset(request.params.id)
    return await reply.code(202).send({ status: 'accepted' })
  })
}

export default adminPasswordReset
