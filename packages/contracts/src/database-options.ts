/**
 * The PostgreSQL variables both services share beside DATABASE_URL, so a deployment behind
 * PgBouncer is configured the same way for each.
 */
import { Type, type Static } from '@sinclair/typebox'

export const DatabasePoolModeSchema = Type.Union([Type.Literal('session'), Type.Literal('transaction')], {
  default: 'session',
  description: 'session: DATABASE_URL is PostgreSQL itself (or a session-mode pooler). transaction: it is PgBouncer in transaction mode: no prepared statements, and the schema comes from the role\'s search_path (checked at start)'
})

export type DatabasePoolMode = Static<typeof DatabasePoolModeSchema>

export const MigrationDatabaseUrlSchema = Type.Optional(Type.String({
  secret: true,
  pattern: '^postgres(ql)?://',
  description: 'A direct PostgreSQL URL for migrations at start-up (behind PgBouncer: the server itself); unset = DATABASE_URL'
}))
