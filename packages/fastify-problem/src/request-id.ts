/**
 * Request ids: a caller's `X-Request-Id` is adopted only from a trusted proxy (the same
 * TRUST_PROXY list that decides whose X-Forwarded-For counts), so a client cannot plant ids that
 * collide with others' in the logs; anyone else gets a fresh UUID. The id is echoed in the
 * answer's `X-Request-Id` (by the fastifyProblem plugin) and is the `reqId` of every log line of
 * the request.
 */
import { randomUUID } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import proxyAddr from '@fastify/proxy-addr'

export const REQUEST_ID_HEADER = 'x-request-id'

// Short, and nothing that could forge a log line or a header (no spaces, quotes or controls).
const WELL_FORMED_ID = /^[A-Za-z0-9._:@+=/-]{1,128}$/

export interface RequestIdServerOptions {
  requestIdHeader: false
  genReqId: (request: IncomingMessage) => string
}

/** Fastify server options: ids from X-Request-Id of the trusted proxies (addresses or CIDRs), else generated. */
export function requestIdOptions (trustedProxies: readonly string[]): RequestIdServerOptions {
  const trusted = trustedProxies.length > 0 ? proxyAddr.compile([...trustedProxies]) : undefined
  return {
    // Fastify's own header option would adopt the id from anyone.
    requestIdHeader: false,
    genReqId (request) {
      if (trusted !== undefined) {
        const offered = request.headers[REQUEST_ID_HEADER]
        const peer = request.socket.remoteAddress
        if (typeof offered === 'string' && WELL_FORMED_ID.test(offered) && peer !== undefined && trusted(peer, 0)) return offered
      }
      return randomUUID()
    }
  }
}
