export { buildUsersApp, usersService, type UsersDeps, type UsersAppOptions } from './app.js'
export { loadUsersConfig, UsersEnvSchema, type UsersConfig } from './config.js'
export { runUsersMigrations } from './db/migrations.js'
