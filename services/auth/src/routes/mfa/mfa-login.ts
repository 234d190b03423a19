/** POST /sessions/mfa: the second step of a log in that answered mfa_required. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { MfaLogInBodySchema, TokenPairSchema } from '@latchkey/contracts'
import { openSecurity, problemResponses, ref } from '@latchkey/service-kit'
import { clientOf } from '../../plugins/app/sessions/sessions.js'

const mfaLogIn: FastifyPluginAsyncTypebox = async app => {
  app.post('/sessions/mfa', {
    onRequest: app.abuseLimits.perNetwork('sessions'),
    schema: {
      tags: ['sessions'],
      operationId: 'logInWithSecondFactor',
      summary: 'Log in, second step: a TOTP code or a recovery code',
      description: 'Takes the mfaToken of the `mfa_required` answer of POST /sessions and exactly one of `code` and `recoveryCode`. A wrong code is 401 `invalid_mfa_code` and counts as a failed log-in of the account; the mfaToken allows 5 attempts within 5 minutes and one success, then 401 `invalid_mfa_token` (log in again). A code is accepted once.',
      security: openSecurity,
      body: MfaLogInBodySchema,
      response: { 201: ref(TokenPairSchema), ...problemResponses(400, 401, 413, 415, 429, 503) }
    }
  }, async (request, reply) => {
    const pair = await app.mfa.completeLogIn(request.body, clientOf(request))
    return await reply.code(201).header('location', `/sessions/${pair.sessionId}`).send(pair)
  })
}

export default mfaLogIn
