export { buildUsersApp, usersService, type UsersDeps, type UsersAppOptions } from './app.js'
export { loadUsersConfig, UsersConfigSchema, type UsersConfig } from './config.js'
// runUsersMigrations: the name the migration test and older callers know.
export { openUsersRuntime, migrateUsersDatabase, migrateUsersDatabase as runUsersMigrations, type UsersRuntime, type UsersRuntimeOptions } from './runtime.js'
