/**
 * The auth service as a Fastify instance: external plugins, then our decorators, then routes.
 * Its connections (PostgreSQL, the revocation feed, the account-event publisher) are injected,
 * so the same app runs standalone, in the one-process embedded default and in tests.
 */
import type { FastifyInstance, FastifyServerOptions } from 'fastify'
import { fastifySecurityHeaders } from '@latchkey/fastify-security-headers'
import cors from '@fastify/cors'
import type { Sql } from 'postgres'
import {
  AcceptedSchema, commaList, AccountPageSchema, AccountSchema, JwkSchema, JwksSchema, MfaRequiredProblemSchema, MfaStatusSchema, RecoveryCodesSchema,
  SessionListSchema, SessionSchema, TokenPairSchema, TotpEnrolmentSchema, VerifyResponseSchema
} from '@latchkey/contracts'
import { fastifyProblem } from '@latchkey/fastify-problem'
import { createServiceApp, health, openapi } from '@latchkey/service-kit'
import {
  createAccessTokenVerifier, fastifyJwtGuard, RevocationView, type RevocationFeed
} from '@latchkey/fastify-jwt-guard'
import { MAX_TOKEN_LEEWAY_SECONDS, type RevocationPublisher } from '@latchkey/contracts'
import type { AccountEventPublisher } from '@latchkey/account-events'
import type { AuthConfig } from './config.js'
import passwordHasher from './plugins/app/hashing/password-hasher.js'
import abuseLimits from './plugins/app/abuse/abuse-limits.js'
import { createMemoryCounterStore, type CounterStore } from './plugins/app/abuse/counter-store.js'
import revoker from './plugins/app/revocations/revoker.js'
import outbox from './plugins/app/events/outbox.js'
import retention from './plugins/app/retention/retention.js'
import accounts from './plugins/app/accounts/accounts.js'
import { ensureBootstrapAdmin } from './plugins/app/accounts/bootstrap-admin.js'
import sessions from './plugins/app/sessions/sessions.js'
import metrics from './plugins/app/metrics.js'
import mail from './plugins/app/mail/mail-outbox.js'
import { loadMailTemplates } from './plugins/app/mail/mail-templates.js'
import { createFileTransport, createSmtpTransport } from './plugins/app/mail/mail-transport.js'
import recovery from './plugins/app/recovery/recovery.js'
import { createRecoveryMailComposer } from './plugins/app/recovery/recovery-mails.js'
import { keyReloadMs, openSigningKeys, type SigningKeys } from './plugins/app/tokens/signing-keys.js'
import { createAccessTokenSigner } from './plugins/app/tokens/access-tokens.js'
import { createRefreshTokens } from './plugins/app/tokens/refresh-tokens.js'
import { loadServerSecret } from './plugins/app/tokens/server-secret.js'
import registerRoute from './routes/accounts/register.js'
import meRoutes from './routes/accounts/me.js'
import adminRoutes from './routes/accounts/admin.js'
import loginRoute from './routes/sessions/login.js'
import refreshRoute from './routes/sessions/refresh.js'
import sessionRoutes from './routes/sessions/sessions.js'
import logoutRoute from './routes/sessions/logout.js'
import verifyRoute from './routes/tokens/verify.js'
import jwksRoute from './routes/tokens/jwks.js'
import emailVerificationRoutes from './routes/email-verifications/email-verifications.js'
import passwordResetRoutes from './routes/password-resets/password-resets.js'
import adminPasswordResetRoute from './routes/accounts/admin-password-reset.js'
import mfa from './plugins/app/mfa/mfa.js'
import { loadSecretBox } from './plugins/app/secrets/secret-box.js'
import { checkSealedSecrets } from './plugins/app/secrets/sealed-secrets.js'
import mfaRoutes from './routes/mfa/mfa.js'
import mfaLogInRoute from './routes/mfa/mfa-login.js'
import adminMfaRoute from './routes/mfa/admin-mfa.js'

/** How long start-up waits for the revocation view to be fresh (within the 10 s plugin timeout); after it the service starts anyway (503 until fresh). */
const STARTUP_FRESHNESS_WAIT_MS = 5_000

declare module 'fastify' {
  interface FastifyInstance { signingKeys: SigningKeys }
}

export interface AuthDependencies {
  sql: Sql
  /** What this service's own revocation view reads. */
  revocationFeed: RevocationFeed
  /** Where revocations are written for every guard (in process: the same store as the feed). */
  revocationPublisher: RevocationPublisher
  accountEvents: AccountEventPublisher
  /** Abuse-limit counters; Redis when replicas share them. Default: in this process. */
  counterStore?: CounterStore | undefined
}

/** Re-exported for the tests that build their own logger with the service's redaction. */
export { logRedaction } from '@latchkey/service-kit'

export async function buildAuthApp (config: AuthConfig, deps: AuthDependencies, options: { logger?: FastifyServerOptions['logger'] } = {}): Promise<FastifyInstance> {
  const app = createServiceApp({ service: 'auth', logLevel: config.LOG_LEVEL, nodeEnv: config.NODE_ENV, trustedProxies: commaList(config.TRUST_PROXY), logger: options.logger })

  // External plugins.
  // Every auth answer is no-store but the JWKS (which sets its own) and the docs.
  await app.register(fastifySecurityHeaders, { noStore: true, hstsMaxAgeSeconds: config.HSTS_MAX_AGE })
  const corsOrigins = commaList(config.CORS_ORIGINS)
  if (corsOrigins.length > 0) {
    await app.register(cors, { origin: corsOrigins, methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'], allowedHeaders: ['authorization', 'content-type', 'if-match'], exposedHeaders: ['x-request-id'], maxAge: 600 })
  }
  // Before any route, so that every route counts for the 405 answers and their Allow header.
  await app.register(fastifyProblem)
  await app.register(openapi, {
    title: 'Latchkey auth service',
    description: 'Accounts, credentials, sessions, EdDSA access tokens, rotating refresh tokens and revocation.',
    serverUrl: config.AUTH_ISSUER,
    tags: [
      { name: 'accounts', description: 'Registration and the caller\'s own account' },
      { name: 'admin', description: 'Account administration (role admin)' },
      { name: 'sessions', description: 'Log in, refresh, log out' },
      { name: 'tokens', description: 'Forward-auth verification and signing keys' },
      { name: 'mfa', description: 'Second factor: TOTP and recovery codes' }
    ],
    schemas: [AccountSchema, AccountPageSchema, TokenPairSchema, SessionSchema, SessionListSchema, VerifyResponseSchema, JwkSchema, JwksSchema, AcceptedSchema,
      MfaStatusSchema, TotpEnrolmentSchema, RecoveryCodesSchema, MfaRequiredProblemSchema],
    ui: config.DOCS_ENABLED
  })

  // Keys, tokens and the guard: the auth service checks its own tokens in process.
  const secretBox = await loadSecretBox(config)
  // Before anything opens or seals: a missing key refuses the start with every row untouched.
  await checkSealedSecrets(deps.sql, secretBox)
  const signingKeys = await openSigningKeys(deps.sql, { privateKeyPem: config.JWT_PRIVATE_KEY, box: secretBox, reloadMs: keyReloadMs(config.KEY_PUBLISH_DELAY) })
  app.decorate('signingKeys', signingKeys)
  app.addHook('onClose', async () => { signingKeys.close() })
  const view = new RevocationView(deps.revocationFeed, { maxStalenessMs: config.REVOCATION_MAX_STALENESS * 1000 })
  const verifier = createAccessTokenVerifier({
    keys: signingKeys.keySource,
    issuer: config.AUTH_ISSUER,
    audience: config.TOKEN_AUDIENCE,
    leewaySeconds: config.TOKEN_LEEWAY,
    maxLifetimeSeconds: config.ACCESS_TOKEN_TTL,
    revocations: view
  })
  // The guard decorates app.revocations with the view, as in the users service.
  await app.register(fastifyJwtGuard, { verifier, revocations: view })
  app.addHook('onClose', async () => { await view.close() })

  // Our decorators.
  await app.register(passwordHasher, { config })
  const counterStore = deps.counterStore ?? createMemoryCounterStore()
  if (deps.counterStore === undefined) app.addHook('onClose', async () => { await counterStore.close() })
  await app.register(abuseLimits, {
    store: counterStore,
    ipMax: config.RATE_LIMIT_IP_MAX,
    ipWindowSeconds: config.RATE_LIMIT_IP_WINDOW,
    ip48Max: config.RATE_LIMIT_IPV6_48_MAX ?? 10 * config.RATE_LIMIT_IP_MAX,
    loginFailuresMax: config.LOGIN_FAILURES_MAX
  })
  await app.register(revoker, {
    sql: deps.sql,
    publisher: deps.revocationPublisher,
    view,
    // Not this service's own leeway: another guard (the users service) may allow more.
    entryLifetimeSeconds: config.ACCESS_TOKEN_TTL + MAX_TOKEN_LEEWAY_SECONDS
  })
  await app.register(outbox, { sql: deps.sql, publisher: deps.accountEvents })
  await app.register(retention, {
    sql: deps.sql,
    sessionRetentionSeconds: config.SESSION_RETENTION,
    sessionMaxLifetimeSeconds: config.SESSION_MAX_LIFETIME,
    outboxRetentionSeconds: config.OUTBOX_RETENTION,
    intervalSeconds: config.RETENTION_INTERVAL,
    trimStream: deps.accountEvents.trim?.bind(deps.accountEvents)
  })
  await app.register(mail, {
    sql: deps.sql,
    transport: config.SMTP_URL === undefined ? createFileTransport(config.DATA_DIR) : createSmtpTransport(config.SMTP_URL),
    compose: createRecoveryMailComposer({
      sql: deps.sql,
      templates: await loadMailTemplates(config.MAIL_TEMPLATES_DIR),
      passwordResetUrl: config.PASSWORD_RESET_URL,
      emailVerificationUrl: config.EMAIL_VERIFICATION_URL,
      passwordResetTtl: config.PASSWORD_RESET_TTL,
      emailVerificationTtl: config.EMAIL_VERIFICATION_TTL
    }),
    from: config.MAIL_FROM,
    maxAttempts: config.MAIL_MAX_ATTEMPTS,
    retryDelayMs: config.MAIL_RETRY_DELAY * 1000
  })
  await app.register(recovery, { sql: deps.sql, store: counterStore, passwordMinLength: config.PASSWORD_MIN_LENGTH, mailsPerWindow: config.LOGIN_FAILURES_MAX })
  await app.register(accounts, { sql: deps.sql, passwordMinLength: config.PASSWORD_MIN_LENGTH, emailVerification: config.EMAIL_VERIFICATION })
  await app.register(mfa, { sql: deps.sql, secretBox, issuer: config.MFA_ISSUER, stepUpMaxAge: config.STEP_UP_MAX_AGE })
  await app.register(sessions, {
    sql: deps.sql,
    signer: createAccessTokenSigner({
      key: () => signingKeys.signingKey(), issuer: config.AUTH_ISSUER, audience: config.TOKEN_AUDIENCE, ttlSeconds: config.ACCESS_TOKEN_TTL
    }),
    refreshTokens: createRefreshTokens(await loadServerSecret(deps.sql, secretBox, 'refresh-token')),
    refreshTokenTtl: config.REFRESH_TOKEN_TTL,
    sessionMaxLifetime: config.SESSION_MAX_LIFETIME,
    reuseGraceSeconds: config.REFRESH_REUSE_GRACE,
    requireVerifiedEmail: config.EMAIL_VERIFICATION === 'required',
    mfaRequiredRoles: commaList(config.MFA_REQUIRED_ROLES)
  })
  await app.register(metrics, { view })
  // After the relay's own onReady, which seeds the feed: the view then loads that epoch at once,
  // and the relay's next heartbeat makes it fresh.
  app.addHook('onReady', async () => {
    await view.start()
    await view.whenFresh(STARTUP_FRESHNESS_WAIT_MS)
  })

  // Routes.
  await app.register(registerRoute)
  await app.register(meRoutes)
  await app.register(adminRoutes)
  await app.register(adminPasswordResetRoute)
  await app.register(emailVerificationRoutes)
  await app.register(passwordResetRoutes)
  await app.register(loginRoute)
  await app.register(refreshRoute)
  await app.register(sessionRoutes)
  await app.register(logoutRoute)
  await app.register(verifyRoute)
  await app.register(mfaRoutes)
  await app.register(mfaLogInRoute)
  await app.register(adminMfaRoute)
  await app.register(jwksRoute, { jwks: () => signingKeys.jwks() })
  await app.register(health, {
    checks: {
      postgres: async () => { await deps.sql`SELECT 1`; return true },
      revocations: async () => deps.revocationFeed.isConnected() && !view.isStale()
    }
  })

  if (config.BOOTSTRAP_ADMIN_EMAIL !== undefined && config.BOOTSTRAP_ADMIN_PASSWORD !== undefined) {
    const email = config.BOOTSTRAP_ADMIN_EMAIL
    const password = config.BOOTSTRAP_ADMIN_PASSWORD
    app.addHook('onReady', async () => { await ensureBootstrapAdmin(app, email, password) })
  }

  return app
}
