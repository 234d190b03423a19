/**
 * DELETE /sessions/current: log out. Idempotent for tokens this service really issued (expired,
 * or of an already revoked session: 204); a token that never was valid gets 401.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { bearerChallenge, HttpProblem } from '@latchkey/fastify-problem'
import { Type } from '@sinclair/typebox'
import { bearerSecurity, problemResponses } from '@latchkey/service-kit'

const bearer = /^Bearer ([^\s]+)$/i

const logout: FastifyPluginAsyncTypebox = async app => {
  app.delete('/sessions/current', {
    schema: {
      tags: ['sessions'],
      operationId: 'logOut',
      summary: 'Log out (revoke the current session)',
      description: 'Accepts an expired token or one whose session is already revoked (204), so a client can always log out; a token this service never issued gets 401.',
      security: bearerSecurity,
      response: { 204: Type.Null({ description: 'Logged out' }), ...problemResponses(401, 503) }
    }
  }, async (request, reply) => {
    const token = bearer.exec(request.headers.authorization ?? '')?.[1]
    if (token === undefined) {
      throw new HttpProblem(401, 'unauthorized', 'Send the access token of the session to end', { headers: { 'www-authenticate': bearerChallenge() } })
    }
    const check = await app.accessTokens.check(token)
    // Expired, revoked or unconfirmable-because-stale: the signature was good, so the session is
    // ours to end. Only a token that never was valid carries no claims.
    const claims = check.claims
    if (claims === undefined) {
      throw new HttpProblem(401, 'token_invalid', 'The access token is not valid', {
        headers: { 'www-authenticate': bearerChallenge({ error: 'invalid_token', description: 'The access token is not valid' }) }
      })
    }
    await app.sessions.logOut(claims.sub, claims.sid)
    return await reply.code(204).send(null)
  })
}

export default logout
