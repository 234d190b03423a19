import { JwksSchema } from '@latchkey/contracts'
/** GET /.well-known/jwks.json: the public keys of every token that may still be live. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { Jwks } from '@latchkey/contracts'
import { openSecurity, ref } from '@latchkey/service-kit'

const jwks: FastifyPluginAsyncTypebox<{ jwks: () => Jwks }> = async (app, options) => {
  app.get('/.well-known/jwks.json', {
    schema: {
      tags: ['tokens'],
      operationId: 'getJwks',
      summary: 'JSON Web Key Set',
      security: openSecurity,
      response: { 200: ref(JwksSchema) }
    }
  }, async (_request, reply) => {
    void reply.header('cache-control', 'public, max-age=300')
    return options.jwks()
  })
}

export default jwks
