/** The caller's own account: read, change email, change password, delete. */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { AccountSchema, ChangePasswordBodySchema, DeleteMyAccountBodySchema, UpdateMyAccountBodySchema } from '@latchkey/contracts'
import { Type } from '@sinclair/typebox'
import { caller } from '@latchkey/fastify-jwt-guard'
import { bearerSecurity, problemResponses, ref } from '@latchkey/service-kit'

const me: FastifyPluginAsyncTypebox = async app => {
  app.get('/accounts/me', {
    onRequest: app.authenticate,
    schema: {
      tags: ['accounts'],
      operationId: 'getMyAccount',
      summary: 'The caller\'s account',
      security: bearerSecurity,
      response: { 200: ref(AccountSchema), ...problemResponses(401, 403, 404, 503) }
    }
  }, async request => await app.accounts.get(caller(request).sub))

  app.patch('/accounts/me', {
    onRequest: app.authenticate,
    schema: {
      tags: ['accounts'],
      operationId: 'changeMyEmail',
      summary: 'Change the caller\'s email',
      description: 'Requires the current password (re-authentication); wrong passwords and taken emails count as failed log-ins of the account (429 once blocked). Unless EMAIL_VERIFICATION is off the change is pending (202, `pendingEmail`) until confirmed from the new address at POST /email-verifications/confirm; the old address gets a notice and stays the log-in name until then. With a second factor active, also a current `code` unless the session passed a second factor within STEP_UP_MAX_AGE seconds (401 `step_up_required`; a wrong code is 403 `invalid_mfa_code`).',
      security: bearerSecurity,
      body: UpdateMyAccountBodySchema,
      response: { 200: ref(AccountSchema), 202: ref(AccountSchema), ...problemResponses(400, 401, 403, 409, 413, 415, 429, 503) }
    }
  }, async (request, reply) => {
    await app.mfa.requireStepUp(caller(request), request.body.code, request.ip)
    const account = await app.accounts.changeEmail(caller(request).sub, request.body.email, request.body.currentPassword, request.ip)
    return await reply.code(account.pendingEmail === undefined ? 200 : 202).send(account)
  })

  app.put('/accounts/me/password', {
    onRequest: app.authenticate,
    schema: {
      tags: ['accounts'],
      operationId: 'changeMyPassword',
      summary: 'Change the caller\'s password',
      description: 'Every other session of the account is revoked; the current one stays. With a second factor active, also a current `code` unless the session passed a second factor within STEP_UP_MAX_AGE seconds (401 `step_up_required`; a wrong code is 403 `invalid_mfa_code`).',
      security: bearerSecurity,
      body: ChangePasswordBodySchema,
      response: { 204: Type.Null({ description: 'Password changed' }), ...problemResponses(400, 401, 403, 413, 415, 429, 503) }
    }
  }, async (request, reply) => {
    await app.mfa.requireStepUp(caller(request), request.body.code, request.ip)
    await app.accounts.changePassword(caller(request).sub, caller(request).sid, request.body.currentPassword, request.body.newPassword, request.ip)
    return await reply.code(204).send(null)
  })

  app.delete('/accounts/me', {
    onRequest: app.authenticate,
    schema: {
      tags: ['accounts'],
      operationId: 'deleteMyAccount',
      summary: 'Delete the caller\'s account',
      description: 'Requires the password. All sessions are revoked and the profile disappears from the users service. The last active administrator cannot delete itself (409 `last_admin`). With a second factor active, also a current `code` unless the session passed a second factor within STEP_UP_MAX_AGE seconds (401 `step_up_required`; a wrong code is 403 `invalid_mfa_code`).',
      security: bearerSecurity,
      body: DeleteMyAccountBodySchema,
      response: { 204: Type.Null({ description: 'Account deleted' }), ...problemResponses(400, 401, 403, 409, 413, 415, 429, 503) }
    }
  }, async (request, reply) => {
    await app.mfa.requireStepUp(caller(request), request.body.code, request.ip)
    await app.accounts.deleteSelf(caller(request).sub, request.body.password, request.ip)
    return await reply.code(204).send(null)
  })
}

export default me
