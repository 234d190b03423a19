/**
 * GET /health/live (the process answers) and GET /health/ready (every named dependency answers):
 * open routes, logged only at warn so that probes do not fill the logs. A check that throws or
 * takes longer than CHECK_TIMEOUT_MS counts as failing, so a black-holed dependency cannot hang
 * the probe.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { HealthSchema } from '@latchkey/contracts'
import { jsonResponse, openSecurity, ref } from './responses.js'

export const CHECK_TIMEOUT_MS = 1000

/** Named readiness checks: true when the dependency answers. */
export type ReadinessChecks = Record<string, () => boolean | Promise<boolean>>

async function passes (check: () => boolean | Promise<boolean>): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<boolean>(resolve => { timer = setTimeout(resolve, CHECK_TIMEOUT_MS, false) })
  try {
    return await Promise.race([Promise.resolve().then(check).catch(() => false), timeout])
  } finally {
    clearTimeout(timer)
  }
}

export const health: FastifyPluginAsyncTypebox<{ checks: ReadinessChecks }> = async (app, options) => {
  const HealthRef = ref(HealthSchema)

  app.get('/health/live', {
    logLevel: 'warn',
    schema: {
      tags: ['health'],
      operationId: 'getLiveness',
      summary: 'Liveness: the process answers',
      security: openSecurity,
      response: { 200: jsonResponse('The process answers', HealthRef) }
    }
  }, async () => ({ status: 'ok' as const }))

  app.get('/health/ready', {
    logLevel: 'warn',
    schema: {
      tags: ['health'],
      operationId: 'getReadiness',
      summary: 'Readiness: every dependency answers',
      security: openSecurity,
      response: {
        200: jsonResponse('Every dependency answers', HealthRef),
        503: jsonResponse('A dependency is failing; `checks` says which', HealthRef)
      }
    }
  }, async (_request, reply) => {
    const entries = await Promise.all(Object.entries(options.checks).map(async ([name, check]) =>
      [name, await passes(check) ? 'ok' : 'failing'] as const))
    const ready = entries.every(([, state]) => state === 'ok')
    reply.code(ready ? 200 : 503)
    return { status: ready ? 'ok' as const : 'unavailable' as const, checks: Object.fromEntries(entries) }
  })
}
