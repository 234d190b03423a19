export { buildAuthApp, type AuthDependencies } from './app.js'
export { AuthConfigSchema, loadAuthConfig, type AuthConfig } from './config.js'
/** `app.retention` of a built auth app: runOnce() deletes what is past its retention window now. */
export type { Retention as AuthRetention, RetentionCounts } from './plugins/app/retention/retention.js'
export { openAuthRuntime, migrateAuthDatabase, type AuthRuntime, type BootLog } from './runtime.js'
export { createMemoryCounterStore, createRedisCounterStore, type CounterStore } from './plugins/app/abuse/counter-store.js'
