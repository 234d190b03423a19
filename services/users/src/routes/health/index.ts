/**
 * Liveness (the process answers) and readiness (Postgres answers, the revocation view is fresh,
 * account events are being consumed). Open routes: no token.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@sinclair/typebox'
import type { Health } from '@latchkey/contracts'
import { jsonResponse } from '../../schemas/responses.js'

const HealthRef = Type.Ref('Health')
const POSTGRES_CHECK_TIMEOUT_MS = 1000

const healthRoutes: FastifyPluginAsyncTypebox = async app => {
  async function postgresAnswers (): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<boolean>(resolve => { timer = setTimeout(() => { resolve(false) }, POSTGRES_CHECK_TIMEOUT_MS) })
    try {
      return await Promise.race([app.sql`SELECT 1`.then(() => true, () => false), timeout])
    } finally {
      clearTimeout(timer)
    }
  }

  app.get('/health/live', {
    schema: {
      tags: ['health'],
      operationId: 'getLiveness',
      summary: 'Is the process up?',
      security: [],
      response: { 200: jsonResponse('The process answers', HealthRef) }
    }
  }, async (): Promise<Health> => ({ status: 'ok' }))

  app.get('/health/ready', {
    schema: {
      tags: ['health'],
      operationId: 'getReadiness',
      summary: 'Can the service answer requests?',
      security: [],
      response: {
        200: jsonResponse('Every dependency answers', HealthRef),
        503: jsonResponse('A dependency is failing; `checks` says which', HealthRef)
      }
    }
  }, async (_request, reply): Promise<Health> => {
    const checks = {
      postgres: await postgresAnswers() ? 'ok' : 'failing',
      revocations: app.revocations.isStale() ? 'failing' : 'ok',
      accountEvents: app.accountEvents.running ? 'ok' : 'failing'
    } as const
    const ready = Object.values(checks).every(check => check === 'ok')
    reply.code(ready ? 200 : 503)
    return { status: ready ? 'ok' : 'unavailable', checks }
  })
}

export default healthRoutes
