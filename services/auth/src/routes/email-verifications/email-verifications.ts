/** Email ownership: ask for a new verification mail, and confirm an address with its mailed token. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { AcceptedSchema, ConfirmEmailBodySchema } from '@latchkey/contracts'
import { Type } from '@sinclair/typebox'
import { caller } from '@latchkey/fastify-jwt-guard'
import { bearerSecurity, openSecurity, problemResponses, ref } from '@latchkey/service-kit'

const emailVerifications: FastifyPluginAsyncTypebox = async app => {
  app.post('/email-verifications', {
    onRequest: app.authenticate,
    schema: {
      tags: ['email'],
      operationId: 'sendEmailVerification',
      summary: 'Send a new verification mail to the caller\'s address',
      description: 'Queued, never sent inside the request; nothing is sent when the address is already verified. At most LOGIN_FAILURES_MAX per account per 15 minutes.',
      security: bearerSecurity,
      response: { 202: ref(AcceptedSchema), ...problemResponses(401, 403, 429, 503) }
    }
  }, async (request, reply) => {
    await app.recovery.requestEmailVerification(caller(request).sub)
    return await reply.code(202).send({ status: 'accepted' })
  })

  app.post('/email-verifications/confirm', {
    onRequest: app.abuseLimits.perNetwork('email-verifications'),
    schema: {
      tags: ['email'],
      operationId: 'confirmEmail',
      summary: 'Confirm an email address with the token of its mail',
      description: 'Marks the address verified, or applies the pending email change the token was mailed for. A token works once: unknown, used or expired tokens answer 400 `token_invalid_or_expired`. 409 `email_taken` when another account took the new address meanwhile.',
      security: openSecurity,
      body: ConfirmEmailBodySchema,
      response: { 204: Type.Null({ description: 'Email confirmed' }), ...problemResponses(400, 409, 413, 415, 429, 503) }
    }
  }, async (request, reply) => {
    await app.recovery.confirmEmail(request.body.token)
    return await reply.code(204).send(null)
  })
}

export default emailVerifications
