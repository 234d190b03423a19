/**
 * Both services in one process, and one metrics listener serving both. Without REDIS_URL, revocations and account events travel in
 * process between them (which is only valid because they share this process); without
 * DATABASE_URL, both run on one embedded PostgreSQL, each in its own schema.
 */
import type { FastifyInstance } from 'fastify'
import { buildAuthApp, loadAuthConfig, openAuthRuntime, type AuthConfig, type BootLog } from '@latchkey/auth'
import { buildUsersApp, loadUsersConfig, openUsersRuntime, type UsersConfig } from '@latchkey/users'
import { listenForMetrics, type MetricsListener } from '@latchkey/fastify-metrics'

export interface Stack {
  auth: FastifyInstance
  users: FastifyInstance
  authConfig: AuthConfig
  usersConfig: UsersConfig
  /** The one metrics listener of this process (METRICS_HOST, METRICS_PORT): both services, labelled by `service`. */
  metrics: MetricsListener
  close (): Promise<void>
}

/** `options.usersEnv` overrides `env` for the users service alone (its own REDIS_URL, say, as in compose). */
export async function startStack (env: Record<string, string | undefined>, log: BootLog, options: { logger?: boolean, usersEnv?: Record<string, string> } = {}): Promise<Stack> {
  const authConfig = loadAuthConfig(env)
  // The users service checks tokens of this auth service; it fetches the JWKS over loopback even
  // when AUTH_ISSUER names a public URL.
  const usersConfig = loadUsersConfig({
    ...env,
    ...options.usersEnv,
    AUTH_ISSUER: authConfig.AUTH_ISSUER,
    AUTH_JWKS_URL: env.AUTH_JWKS_URL ?? `http://127.0.0.1:${authConfig.AUTH_PORT}/.well-known/jwks.json`
  })

  // Whatever has started is closed again, newest first, when a later step fails (a port in use,
  // say): an embedded PostgreSQL must not outlive a launcher that could not start.
  const started: Array<() => Promise<void>> = []
  const closeStarted = async (): Promise<void> => {
    for (const close of started.splice(0).reverse()) await close()
  }
  try {
    const runtime = await openAuthRuntime(authConfig, log)
    started.push(async () => { await runtime.close() })
    const loggerOption = options.logger === false ? { logger: false as const } : {}
    const auth = await buildAuthApp(authConfig, runtime.deps, loggerOption)
    started.push(async () => { await auth.close() })
    await auth.listen({ port: authConfig.AUTH_PORT, host: authConfig.HOST })

    // The users service runs on the auth runtime's PostgreSQL (its own schema) and, without
    // REDIS_URL, on its in-process revocation feed and account events.
    const usersLog = {
      info: (obj: object, msg: string) => { log.info(obj, msg) },
      warn: (obj: object, msg: string) => { log.warn(obj, msg) },
      error: (obj: object, msg: string) => { if (log.error === undefined) log.warn(obj, msg); else log.error(obj, msg) }
    }
    const usersRuntime = await openUsersRuntime(usersConfig, usersLog, {
      databaseUrl: runtime.databaseUrl,
      ...(runtime.inProcessEvents === undefined ? {} : { inProcess: { revocationFeed: runtime.deps.revocationFeed, accountEvents: runtime.inProcessEvents } })
    })
    started.push(async () => { await usersRuntime.close() })
    await usersRuntime.deps.keySource.ready()
    const users = await buildUsersApp(usersConfig, usersRuntime.deps, loggerOption)
    started.push(async () => { await users.close() })
    await users.listen({ port: usersConfig.USERS_PORT, host: usersConfig.HOST })
    const metrics = await listenForMetrics([auth, users], { host: authConfig.METRICS_HOST, port: authConfig.METRICS_PORT })
    started.push(async () => { await metrics.close() })

    return { auth, users, authConfig, usersConfig, metrics, close: closeStarted }
  } catch (error) {
    await closeStarted()
    throw error
  }
}
