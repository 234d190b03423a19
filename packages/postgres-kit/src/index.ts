export { runMigrations, migrationsDirectoryOf } from './migrate.js'
export { connectPostgres, closePostgres, type ConnectOptions, type PoolMode } from './connect.js'
export { openServiceDatabase, type ServiceDatabaseOptions } from './service-database.js'
export { startEmbeddedPostgres, freePort, type EmbeddedDatabase } from './embedded.js'
