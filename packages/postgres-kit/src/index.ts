export { runMigrations, migrationsDirectoryOf } from './migrate.js'
export { connectPostgres, closePostgres, type ConnectOptions } from './connect.js'
export { startEmbeddedPostgres, freePort, type EmbeddedDatabase } from './embedded.js'
