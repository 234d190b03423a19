/**
 * The caller's own profile: GET, PATCH (JSON or merge patch) and PUT /users/me. Reads carry an
 * ETag; writes honour If-Match atomically. Every answer here, errors included, is `no-store`.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { ProfilePatchBodySchema, ProfilePutBodySchema, ProfileSchema } from '@latchkey/contracts'
import { mergePatchNotForPut, profileNotCreated } from '../../errors.js'
import { caller } from '@latchkey/fastify-jwt-guard'
import { profileEtag } from './etag.js'
import { answerWrite, expectedVersions, noStore } from './profile-answers.js'
import { patchChanges, replacementChanges } from '../../plugins/app/profiles/profile-input.js'
import { bearerSecurity, jsonResponse, problemResponses, ref, responseHeaders } from '@latchkey/service-kit'
import { GUARDED_PROBLEMS, IfMatchHeadersSchema, PATCH_MEDIA_TYPES } from './schemas.js'

const ProfileRef = ref(ProfileSchema)

const meRoutes: FastifyPluginAsyncTypebox = async app => {
  app.addHook('onRequest', async (_request, reply) => { noStore(reply) })

  app.get('/users/me', {
    onRequest: app.authenticate,
    schema: {
      tags: ['profiles'],
      operationId: 'getMyProfile',
      summary: 'Read your profile',
      description: 'Answers 404 until the profile has been created from your registration (normally within milliseconds).',
      security: bearerSecurity,
      response: {
        200: jsonResponse('Your profile', ProfileRef, responseHeaders.etag),
        ...problemResponses(...GUARDED_PROBLEMS, 404)
      }
    }
  }, async (request, reply) => {
    const found = await app.profiles.find(caller(request).sub)
    if (found === undefined) throw profileNotCreated()
    reply.header('etag', profileEtag(found.version))
    return found.profile
  })

  app.patch('/users/me', {
    onRequest: app.authenticate,
    schema: {
      tags: ['profiles'],
      operationId: 'updateMyProfile',
      summary: 'Change some fields of your profile',
      description: 'JSON merge patch (RFC 7396): absent fields stay, `null` clears an optional field. ' +
        'Send `application/merge-patch+json` or `application/json`.',
      security: bearerSecurity,
      headers: IfMatchHeadersSchema,
      consumes: PATCH_MEDIA_TYPES,
      body: ProfilePatchBodySchema,
      response: {
        200: jsonResponse('The updated profile', ProfileRef, responseHeaders.etag),
        ...problemResponses(...GUARDED_PROBLEMS, 400, 404, 412, 413, 415)
      }
    }
  }, async (request, reply) => {
    const outcome = await app.profiles.write(caller(request).sub, patchChanges(request.body), expectedVersions(request.headers['if-match']))
    return answerWrite(reply, outcome, profileNotCreated)
  })

  app.put('/users/me', {
    onRequest: app.authenticate,
    preValidation: async request => {
      if (request.headers['content-type']?.toLowerCase().startsWith('application/merge-patch+json') === true) throw mergePatchNotForPut()
    },
    schema: {
      tags: ['profiles'],
      operationId: 'replaceMyProfile',
      summary: 'Replace your profile',
      description: 'Sets every editable field: `name` is required, an absent optional field becomes `null`.',
      security: bearerSecurity,
      headers: IfMatchHeadersSchema,
      body: ProfilePutBodySchema,
      response: {
        200: jsonResponse('The replaced profile', ProfileRef, responseHeaders.etag),
        ...problemResponses(...GUARDED_PROBLEMS, 400, 404, 412, 413, 415)
      }
    }
  }, async (request, reply) => {
    const outcome = await app.profiles.write(caller(request).sub, replacementChanges(request.body), expectedVersions(request.headers['if-match']))
    return answerWrite(reply, outcome, profileNotCreated)
  })
}

export default meRoutes
