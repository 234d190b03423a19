/**
 * Which methods a path answers to, for the 405 of a known path asked with another method (RFC 9110
 * §15.5.6: with an `Allow` header). Fastify sends such requests to the 404 handler; this keeps a
 * second find-my-way router (the router Fastify itself uses, so both match paths alike) of every
 * route registered after the fastifyProblem plugin, and asks it per method.
 */
import FindMyWay, { type HTTPMethod } from 'find-my-way'

const METHODS: HTTPMethod[] = ['DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT']

export interface RouteMethods {
  add: (methods: string | string[], url: string) => void
  /** The methods the path answers to, sorted; empty for an unknown path. */
  allowed: (path: string) => string[]
}

export function createRouteMethods (): RouteMethods {
  const router = FindMyWay()
  const noop = (): void => {}
  return {
    add (methods, url) {
      // A catch-all (the CORS preflight route `OPTIONS *`) would make every unknown path "known".
      if (url === '*' || url === '/*') return
      for (const method of Array.isArray(methods) ? methods : [methods]) {
        const known = METHODS.find(candidate => candidate === method.toUpperCase())
        if (known === undefined || router.hasRoute(known, url)) continue
        router.on(known, url, noop)
        if (known === 'GET' && !router.hasRoute('HEAD', url)) router.on('HEAD', url, noop)
      }
    },
    allowed (path) {
      const bare = path.split('?')[0] ?? ''
      return METHODS.filter(method => router.find(method, bare) !== null)
    }
  }
}
