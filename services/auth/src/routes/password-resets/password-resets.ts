/** Password reset: ask for a reset mail by address, and set a new password with its mailed token. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { AcceptedSchema, ConfirmPasswordResetBodySchema, PasswordResetBodySchema } from '@latchkey/contracts'
import { Type } from '@sinclair/typebox'
import { openSecurity, problemResponses, ref } from '@latchkey/service-kit'

const passwordResets: FastifyPluginAsyncTypebox = async app => {
  const perNetwork = app.abuseLimits.perNetwork('password-resets')

  app.post('/password-resets', {
    onRequest: perNetwork,
    schema: {
      tags: ['password'],
      operationId: 'requestPasswordReset',
      summary: 'Mail a password reset link',
      description: 'The same answer, doing the same work, whether or not the address has an account: the mail is queued and composed later, never sent inside the request. At most LOGIN_FAILURES_MAX requests per address per 15 minutes, counted for every address.',
      security: openSecurity,
      body: PasswordResetBodySchema,
      response: { 202: ref(AcceptedSchema), ...problemResponses(400, 413, 415, 429, 503) }
    }
  }, async (request, reply) => {
    await app.recovery.requestPasswordReset(request.body.email)
    return await reply.code(202).send({ status: 'accepted' })
  })

  app.post('/password-resets/confirm', {
    onRequest: perNetwork,
    schema: {
      tags: ['password'],
      operationId: 'confirmPasswordReset',
      summary: 'Set a new password with the token of a reset mail',
      description: 'The password policy applies. Every session and access token of the account is revoked, outstanding reset tokens die, the failed-log-in block is lifted, and a "password changed" mail goes out. Unknown, used or expired tokens answer 400 `token_invalid_or_expired`. No session is opened: log in with the new password.',
      security: openSecurity,
      body: ConfirmPasswordResetBodySchema,
      response: { 204: Type.Null({ description: 'Password set' }), ...problemResponses(400, 413, 415, 429, 503) }
    }
  }, async (request, reply) => {
    await app.recovery.confirmPasswordReset(request.body.token, request.body.password, request.ip)
    return await reply.code(204).send(null)
  })
}

export default passwordResets
