/** POST /sessions: log in with email and password; every login is a new session. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { LoginBodySchema, MfaRequiredProblemSchema, TokenPairSchema } from '@latchkey/contracts'
import { openSecurity, problemResponse, problemResponses, ref, responseHeaders } from '@latchkey/service-kit'
import { clientOf } from '../../plugins/app/sessions/sessions.js'

const login: FastifyPluginAsyncTypebox = async app => {
  app.post('/sessions', {
    onRequest: app.abuseLimits.perNetwork('sessions'),
    schema: {
      tags: ['sessions'],
      operationId: 'logIn',
      summary: 'Log in',
      description: 'An unknown email and a wrong password get the same 401 in about the same time. With a second factor enabled, a right password gets 401 `mfa_required` with `mfaToken` and `methods`, and no token pair: finish at POST /sessions/mfa.',
      security: openSecurity,
      body: LoginBodySchema,
      response: {
        201: ref(TokenPairSchema),
        ...problemResponses(400, 403, 413, 415, 429, 503),
        401: problemResponse('invalid_credentials, or mfa_required with mfaToken and methods', ref(MfaRequiredProblemSchema), responseHeaders.wwwAuthenticate)
      }
    }
  }, async (request, reply) => {
    const pair = await app.sessions.logIn(request.body, clientOf(request))
    return await reply.code(201).header('location', `/sessions/${pair.sessionId}`).send(pair)
  })
}

export default login
