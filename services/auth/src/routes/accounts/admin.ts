/** Account administration, for the role `admin`. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { AccountPageSchema, AccountSchema, AdminUpdateAccountBodySchema, IdParamsSchema, ListAccountsQuerySchema } from '@latchkey/contracts'
import { Type } from '@sinclair/typebox'
import { bearerSecurity, problemResponses, ref } from '@latchkey/service-kit'

const admin: FastifyPluginAsyncTypebox = async app => {
  const onRequest = [app.authenticate, app.requireRole('admin')]

  app.get('/accounts', {
    onRequest,
    schema: {
      tags: ['admin'],
      operationId: 'listAccounts',
      summary: 'List accounts',
      security: bearerSecurity,
      querystring: ListAccountsQuerySchema,
      response: { 200: ref(AccountPageSchema), ...problemResponses(400, 401, 403, 503) }
    }
  }, async request => await app.accounts.list(request.query))

  app.get('/accounts/:id', {
    onRequest,
    schema: {
      tags: ['admin'],
      operationId: 'getAccount',
      summary: 'Get an account',
      security: bearerSecurity,
      params: IdParamsSchema,
      response: { 200: ref(AccountSchema), ...problemResponses(400, 401, 403, 404, 503) }
    }
  }, async request => await app.accounts.get(request.params.id))

  app.patch('/accounts/:id', {
    onRequest,
    schema: {
      tags: ['admin'],
      operationId: 'updateAccount',
      summary: 'Disable, enable or change the roles of an account',
      description: 'Disabling revokes every session. A change of roles kills the account\'s current access tokens; its sessions live on and the next refresh carries the new roles. `user` is always kept. Disabling or demoting the last active administrator is refused with 409 `last_admin`.',
      security: bearerSecurity,
      params: IdParamsSchema,
      body: AdminUpdateAccountBodySchema,
      response: { 200: ref(AccountSchema), ...problemResponses(400, 401, 403, 404, 409, 413, 415, 503) }
    }
  }, async request => await app.accounts.update(request.params.id, request.body))

  app.delete('/accounts/:id', {
    onRequest,
    schema: {
      tags: ['admin'],
      operationId: 'deleteAccount',
      summary: 'Delete an account',
      description: 'As self-delete: all sessions revoked, the profile removed from the users service. Deleting the last active administrator is refused with 409 `last_admin`.',
      security: bearerSecurity,
      params: IdParamsSchema,
      response: { 204: Type.Null({ description: 'Account deleted' }), ...problemResponses(400, 401, 403, 404, 409, 503) }
    }
  }, async (request, reply) => {
    await app.accounts.deleteById(request.params.id)
    return await reply.code(204).send(null)
  })
}

export default admin
