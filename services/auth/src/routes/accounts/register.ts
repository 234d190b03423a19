/** POST /accounts: self-service registration. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { AccountSchema, RegisterBodySchema } from '@latchkey/contracts'
import { openSecurity, problemResponses, ref } from '@latchkey/service-kit'

const register: FastifyPluginAsyncTypebox = async app => {
  app.post('/accounts', {
    onRequest: app.abuseLimits.perNetwork('accounts'),
    schema: {
      tags: ['accounts'],
      operationId: 'register',
      summary: 'Register an account',
      description: 'Creates an account with the role `user`; its profile (with `name`) appears in the users service.',
      security: openSecurity,
      body: RegisterBodySchema,
      response: { 201: ref(AccountSchema), ...problemResponses(400, 409, 413, 415, 429, 503) }
    }
  }, async (request, reply) => {
    const account = await app.accounts.register(request.body, { ip: request.ip })
    return await reply.code(201).header('location', `/accounts/${account.id}`).send(account)
  })
}

export default register
