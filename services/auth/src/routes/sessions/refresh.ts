/** POST /sessions/refresh: rotate a refresh token. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { RefreshBodySchema, TokenPairSchema } from '@latchkey/contracts'
import { openSecurity, problemResponses, ref } from '@latchkey/service-kit'

const refresh: FastifyPluginAsyncTypebox = async app => {
  app.post('/sessions/refresh', {
    onRequest: app.abuseLimits.perNetwork('refresh'),
    schema: {
      tags: ['sessions'],
      operationId: 'refreshSession',
      summary: 'Refresh: exchange a refresh token for a new token pair',
      description: 'Rotates the refresh token. Presenting the old one again within REFRESH_REUSE_GRACE seconds returns the same successor; later, the whole session is revoked (401 refresh_token_reused).',
      security: openSecurity,
      body: RefreshBodySchema,
      response: { 200: ref(TokenPairSchema), ...problemResponses(400, 401, 413, 415, 429, 503) }
    }
  }, async request => await app.sessions.refresh(request.body.refreshToken))
}

export default refresh
