/**
 * The directory: GET /users, public profiles ordered by name, cursor-paginated, optionally
 * filtered by a case-insensitive name prefix.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { ListUsersQuerySchema, PublicProfilePageSchema, UuidSchema } from '@latchkey/contracts'
import { bearerSecurity, jsonResponse, pageCursor, problemResponses, ref } from '@latchkey/service-kit'
import { GUARDED_PROBLEMS } from './schemas.js'

/** The page cursor of GET /users: the sort key (lower(name)) of the last profile seen, then its id. */
const directoryCursor = pageCursor(Type.Tuple([Type.String(), UuidSchema]))

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
    const position = cursor === undefined ? undefined : directoryCursor.decode(cursor)
    const after = position === undefined ? undefined : { sortKey: position[0], id: position[1] }
    const page = await app.profiles.directory({ limit, after, prefix: q })
    return { items: page.items, nextCursor: page.next === undefined ? null : directoryCursor.encode([page.next.sortKey, page.next.id]) }
  })
}

export default listRoutes
