/** Liveness (the process answers) and readiness (its PostgreSQL and revocation feed answer). */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import { openSecurity } from '../schemas.js'

export type ReadinessChecks = Record<string, () => Promise<boolean>>

const health: FastifyPluginAsyncTypebox<{ checks: ReadinessChecks }> = async (app, options) => {
  app.get('/health/live', {
    logLevel: 'warn',
    schema: { tags: ['health'], operationId: 'getLiveness', summary: 'Liveness', security: openSecurity, response: { 200: Type.Ref('Health') } }
  }, async () => ({ status: 'ok' as const }))

  app.get('/health/ready', {
    logLevel: 'warn',
    schema: {
      tags: ['health'],
      operationId: 'getReadiness',
      summary: 'Readiness: PostgreSQL and Redis answer',
      security: openSecurity,
      response: { 200: Type.Ref('Health'), 503: Type.Ref('Health', { description: 'A dependency is failing' }) }
    }
  }, async (_request, reply) => {
    const entries = await Promise.all(Object.entries(options.checks).map(async ([name, check]) => {
      const ok = await Promise.race([
        check().catch(() => false),
        new Promise<boolean>(resolve => setTimeout(resolve, 2000, false).unref())
      ])
      return [name, ok ? 'ok' : 'failing'] as const
    }))
    const failing = entries.some(([, state]) => state === 'failing')
    return await reply.code(failing ? 503 : 200).send({ status: failing ? 'unavailable' : 'ok', checks: Object.fromEntries(entries) })
  })
}

export default health
