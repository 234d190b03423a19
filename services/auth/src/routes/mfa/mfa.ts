/**
 * The caller's second factor: status, TOTP enrolment and its confirmation, removal, new recovery
 * codes. The first three also take the enrolment-only tokens of MFA_REQUIRED_ROLES accounts.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { ConfirmTotpBodySchema, MfaStatusSchema, RecoveryCodesSchema, RegenerateRecoveryCodesBodySchema, RemoveTotpBodySchema, StartTotpEnrolmentBodySchema, TotpEnrolmentSchema } from '@latchkey/contracts'
import { Type } from '@sinclair/typebox'
import { caller } from '@latchkey/fastify-jwt-guard'
import { bearerSecurity, problemResponses, ref } from '@latchkey/service-kit'

const mfa: FastifyPluginAsyncTypebox = async app => {
  app.get('/accounts/me/mfa', {
    onRequest: app.authenticateForEnrolment,
    schema: {
      tags: ['mfa'],
      operationId: 'getMyMfa',
      summary: 'The caller\'s second factors',
      security: bearerSecurity,
      response: { 200: ref(MfaStatusSchema), ...problemResponses(401, 503) }
    }
  }, async request => await app.mfa.status(caller(request).sub))

  app.post('/accounts/me/mfa/totp', {
    onRequest: app.authenticateForEnrolment,
    schema: {
      tags: ['mfa'],
      operationId: 'startTotpEnrolment',
      summary: 'Start TOTP enrolment',
      description: 'Requires the current password (counted as a log-in attempt). Answers the secret, an otpauth:// URI and its QR code, shown this once; the factor stays pending until confirmed, and a new call replaces a pending one. 409 `mfa_already_enabled` while a factor is active.',
      security: bearerSecurity,
      body: StartTotpEnrolmentBodySchema,
      response: { 201: ref(TotpEnrolmentSchema), ...problemResponses(400, 401, 403, 409, 413, 415, 429, 503) }
    }
  }, async (request, reply) => {
    return await reply.code(201).send(await app.mfa.startEnrolment(caller(request).sub, request.body.password, request.ip))
  })

  app.post('/accounts/me/mfa/totp/confirm', {
    onRequest: app.authenticateForEnrolment,
    schema: {
      tags: ['mfa'],
      operationId: 'confirmTotpEnrolment',
      summary: 'Confirm TOTP enrolment with a first code',
      description: 'The factor is active from now on: log in needs a code. Answers 10 single-use recovery codes, shown this once. A wrong code is 403 `invalid_mfa_code` and counts as a failed log-in.',
      security: bearerSecurity,
      body: ConfirmTotpBodySchema,
      response: { 200: ref(RecoveryCodesSchema), ...problemResponses(400, 401, 403, 409, 413, 415, 429, 503) }
    }
  }, async request => await app.mfa.confirmEnrolment(caller(request).sub, request.body.code, request.ip))

  app.delete('/accounts/me/mfa/totp', {
    onRequest: app.authenticate,
    schema: {
      tags: ['mfa'],
      operationId: 'removeTotp',
      summary: 'Remove the TOTP factor',
      description: 'Requires the password and a second factor (`code` or `recoveryCode`): the first factor alone cannot remove the second. The recovery codes go too, and every other session is revoked.',
      security: bearerSecurity,
      body: RemoveTotpBodySchema,
      response: { 204: Type.Null({ description: 'Factor removed' }), ...problemResponses(400, 401, 403, 409, 413, 415, 429, 503) }
    }
  }, async (request, reply) => {
    const { sub, sid } = caller(request)
    await app.mfa.remove(sub, sid, request.body, request.ip)
    return await reply.code(204).send(null)
  })

  app.post('/accounts/me/mfa/recovery-codes', {
    onRequest: app.authenticate,
    schema: {
      tags: ['mfa'],
      operationId: 'regenerateRecoveryCodes',
      summary: 'Replace the recovery codes',
      description: 'Requires a current TOTP code. Answers 10 new codes, shown this once; the old ones stop working.',
      security: bearerSecurity,
      body: RegenerateRecoveryCodesBodySchema,
      response: { 200: ref(RecoveryCodesSchema), ...problemResponses(400, 401, 403, 409, 413, 415, 429, 503) }
    }
  }, async request => await app.mfa.regenerateRecoveryCodes(caller(request).sub, request.body.code, request.ip))
}

export default mfa
