export { buildAuthApp, type AuthDependencies } from './app.js'
export { loadAuthConfig, type AuthConfig } from './config.js'
export { openAuthRuntime, migrateAuthDatabase, type AuthRuntime, type BootLog } from './runtime.js'
export { createMemoryCounterStore, createRedisCounterStore, type CounterStore } from './plugins/app/abuse/counter-store.js'
