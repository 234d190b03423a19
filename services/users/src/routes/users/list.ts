/**
 * The directory: GET /users, public profiles ordered by name, cursor-paginated, optionally
 * filtered by a case-insensitive name prefix.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { ListUsersQuerySchema, PublicProfilePageSchema } from '@latchkey/contracts'
import { decodeCursor, encodeCursor } from './cursor.js'
import { bearerSecurity, jsonResponse, problemResponses, ref } from '@latchkey/service-kit'
import { GUARDED_PROBLEMS } from './schemas.js'

const listRoutes: FastifyPluginAsyncTypebox = async app => {
  app.get('/users', {
    onRequest: app.authenticate,
    schema: {
      tags: ['profiles'],
      operationId: 'listUsers',
      summary: 'List public profiles',
      description: 'Ordered by name (case-insensitive), then id. `q` keeps names starting with it, case-insensitively; ' +
        '`%` and `_` are plain characters. Pass `nextCursor` back as `cursor` for the next page.',
      security: bearerSecurity,
      querystring: ListUsersQuerySchema,
      response: {
        200: jsonResponse('A page of public profiles', ref(PublicProfilePageSchema)),
        ...problemResponses(...GUARDED_PROBLEMS, 400)
      }
    }
  }, async request => {
    const { limit = 20, cursor, q } = request.query
    const page = await app.profiles.directory({ limit, after: cursor === undefined ? undefined : decodeCursor(cursor), prefix: q })
    return { items: page.items, nextCursor: page.next === undefined ? null : encodeCursor(page.next) }
  })
}

export default listRoutes
