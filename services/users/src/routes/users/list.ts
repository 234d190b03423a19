/**
 * The directory: GET /users, public profiles ordered by name, cursor-paginated, optionally
 * filtered by a case-insensitive name prefix.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { ListUsersQuerySchema } from '@latchkey/contracts'
import { decodeCursor, encodeCursor } from '../../http/cursor.js'
import { BEARER_AUTH, GUARDED_PROBLEMS, jsonResponse, problemResponses } from '../../schemas/responses.js'

const listRoutes: FastifyPluginAsyncTypebox = async app => {
  app.get('/users', {
    onRequest: app.authenticate,
    schema: {
      tags: ['profiles'],
      operationId: 'listUsers',
      summary: 'List public profiles',
      description: 'Ordered by name (case-insensitive), then id. `q` keeps names starting with it, case-insensitively; ' +
        '`%` and `_` are plain characters. Pass `nextCursor` back as `cursor` for the next page.',
      security: BEARER_AUTH,
      querystring: ListUsersQuerySchema,
      response: {
        200: jsonResponse('A page of public profiles', Type.Ref('PublicProfilePage')),
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
