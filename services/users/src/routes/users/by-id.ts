/**
 * Someone else's profile: the public view for any authenticated caller (GET /users/{id}), and
 * the full profile for administrators to correct (PATCH /users/{id}).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { IdParamsSchema, ProfilePatchBodySchema, ProfileSchema, PublicProfileSchema } from '@latchkey/contracts'
import { userNotFound } from '../../errors.js'
import { answerWrite, expectedVersions, noStore } from './profile-answers.js'
import { patchChanges } from '../../plugins/app/profiles/profile-input.js'
import { bearerSecurity, jsonResponse, problemResponses, ref, responseHeaders } from '@latchkey/service-kit'
import { GUARDED_PROBLEMS, IfMatchHeadersSchema, PATCH_MEDIA_TYPES } from './schemas.js'

const userByIdRoutes: FastifyPluginAsyncTypebox = async app => {
  app.get('/users/:id', {
    onRequest: app.authenticate,
    schema: {
      tags: ['profiles'],
      operationId: 'getUser',
      summary: 'Read a public profile',
      description: 'Only `id`, `name`, `bio` and `avatarUrl`: nothing private, nothing from the auth side.',
      security: bearerSecurity,
      params: IdParamsSchema,
      response: {
        200: jsonResponse('The public profile', ref(PublicProfileSchema)),
        ...problemResponses(...GUARDED_PROBLEMS, 400, 404)
      }
    }
  }, async request => {
    const found = await app.profiles.find(request.params.id)
    if (found === undefined) throw userNotFound()
    const { id, name, bio, avatarUrl } = found.profile
    return { id, name, bio, avatarUrl }
  })

  app.patch('/users/:id', {
    onRequest: [async (_request, reply) => { noStore(reply) }, app.authenticate, app.requireRole('admin')],
    schema: {
      tags: ['profiles'],
      operationId: 'adminUpdateUser',
      summary: 'Change some fields of anyone\'s profile (admin)',
      description: 'As PATCH /users/me, for administrators only.',
      security: bearerSecurity,
      params: IdParamsSchema,
      headers: IfMatchHeadersSchema,
      consumes: PATCH_MEDIA_TYPES,
      body: ProfilePatchBodySchema,
      response: {
        200: jsonResponse('The updated profile', ref(ProfileSchema), responseHeaders.etag),
        ...problemResponses(...GUARDED_PROBLEMS, 400, 404, 412, 413, 415)
      }
    }
  }, async (request, reply) => {
    const outcome = await app.profiles.write(request.params.id, patchChanges(request.body), expectedVersions(request.headers['if-match']))
    return answerWrite(reply, outcome, userNotFound)
  })
}

export default userByIdRoutes
