/**
 * The Fastify server both services run: one set of limits and timeouts, one redaction list, the
 * request-id rule and the strict validator, so the two answer, time out and log alike.
 */
import { isIP } from 'node:net'
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyServerOptions, type RawReplyDefaultExpression, type RawRequestDefaultExpression, type RawServerDefault } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import {
  createStrictValidatorCompiler, frameworkErrors, namedLogger, requestIdOptions, serviceLoggerOptions, wantsPrettyLogs, type ServiceName
} from '@latchkey/fastify-problem'

/**
 * Secrets never reach the logs, whatever shape the request or error has: credentials in headers;
 * passwords, tokens (the recovery links' `token` and the second step's `mfaToken` included), TOTP
 * secrets and recovery codes in bodies, at the top level or one object down. A TOTP `code` is
 * redacted one object down only: at the top level, `code` is the problem code of a log line. The
 * key-encryption keys too, should a configuration object ever be logged.
 */
const SECRET_FIELDS = ['password', 'currentPassword', 'newPassword', 'refreshToken', 'accessToken', 'token', 'mfaToken', 'secret', 'recoveryCode', 'recoveryCodes',
  'SECRETS_KEY', 'SECRETS_KEY_PREVIOUS']
export const logRedaction = [
  'req.headers.authorization', 'req.headers.cookie',
  ...SECRET_FIELDS, ...SECRET_FIELDS.map(field => `*.${field}`), '*.code'
]

/**
 * Longer than the 60 s idle timeout of the usual load balancers (AWS ALB, nginx upstream keepalive):
 * the balancer, not us, closes an idle connection, so it never sends a request on a socket we are
 * closing.
 */
export const KEEP_ALIVE_TIMEOUT_MS = 72_000

export interface ServerSettings {
  service: ServiceName
  logLevel: string
  nodeEnv: string | undefined
  /** Peers whose X-Forwarded-For and X-Request-Id are believed (addresses or CIDRs). */
  trustedProxies: readonly string[]
  /** A logger configuration or instance from the caller (tests, the launcher); default pino at logLevel, pretty on a terminal. */
  logger?: FastifyServerOptions['logger'] | FastifyBaseLogger | undefined
}

export function serverOptions (settings: ServerSettings): FastifyServerOptions & { loggerInstance?: FastifyBaseLogger } {
  const logger = settings.logger ?? serviceLoggerOptions(settings.service, { level: settings.logLevel, redact: logRedaction, pretty: wantsPrettyLogs(settings.nodeEnv) })
  return {
    ...(typeof logger === 'object' && 'child' in logger
      ? { loggerInstance: namedLogger(settings.service, logger) }
      : { logger: namedLogger(settings.service, logger) }),
    ...requestIdOptions(settings.trustedProxies),
    bodyLimit: 16 * 1024,
    connectionTimeout: 30_000,
    requestTimeout: 30_000,
    keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
    // Start-up waits up to 5 s for a fresh revocation view (and the bootstrap admin, a hash).
    pluginTimeout: 30_000,
    return503OnClosing: true,
    frameworkErrors,
    // Only the named proxies may say who the client is (ASVS 4.1.3, 15.3.4; RFC 9700 4.13).
    trustProxy: settings.trustedProxies.length > 0 ? [...settings.trustedProxies] : false
  }
}

export type ServiceApp = FastifyInstance<RawServerDefault, RawRequestDefaultExpression, RawReplyDefaultExpression, FastifyBaseLogger, TypeBoxTypeProvider>

/** A Fastify instance with the shared server options, the TypeBox type provider and strict validation. */
export function createServiceApp (settings: ServerSettings): ServiceApp {
  const app = Fastify(serverOptions(settings)).withTypeProvider<TypeBoxTypeProvider>()
  // Bodies are validated exactly as sent: no coercion, no silent dropping of unknown fields.
  app.setValidatorCompiler(createStrictValidatorCompiler())
  if (settings.trustedProxies.length > 0) {
    // A trusted proxy that passes a malformed X-Forwarded-For on (a client's text it did not
    // replace, an address with a port) would make that text the client address: a rate-limit key
    // of the sender's choosing and a junk address in sessions. It is dropped, so the peer (the
    // proxy) is the client, before any other hook reads the address (ASVS 15.3.4, RFC 9700 4.13).
    app.addHook('onRequest', (request, _reply, done) => {
      if (isIP(request.ip) === 0) delete request.raw.headers['x-forwarded-for']
      done()
    })
  }
  // server.close() drops idle keep-alive connections once, when it starts; a connection whose
  // request was in flight then would idle until the keep-alive timeout (72 s) and hold the close up.
  let sweep: NodeJS.Timeout | undefined
  app.addHook('preClose', done => {
    sweep = setInterval(() => { app.server.closeIdleConnections() }, 100)
    done()
  })
  app.addHook('onClose', async () => { clearInterval(sweep) })
  return app
}
