/**
 * Account events: what the auth service publishes (outbox → Redis stream) and the users service
 * consumes. Each event has a unique id so consumers can apply it exactly once.
 */
import { Type, type Static } from '@sinclair/typebox'
import { TimestampSchema, UuidSchema } from './common.js'
import { DisplayNameSchema } from './accounts.js'

const Envelope = {
  id: UuidSchema,
  occurredAt: TimestampSchema
}

export const AccountCreatedEventSchema = Type.Object({
  ...Envelope,
  type: Type.Literal('account.created'),
  data: Type.Object({ id: UuidSchema, name: DisplayNameSchema })
})

export const AccountDeletedEventSchema = Type.Object({
  ...Envelope,
  type: Type.Literal('account.deleted'),
  data: Type.Object({ id: UuidSchema })
})

export const AccountDisabledEventSchema = Type.Object({
  ...Envelope,
  type: Type.Literal('account.disabled'),
  data: Type.Object({ id: UuidSchema })
})

export const AccountEnabledEventSchema = Type.Object({
  ...Envelope,
  type: Type.Literal('account.enabled'),
  data: Type.Object({ id: UuidSchema })
})

export const AccountEventSchema = Type.Union([
  AccountCreatedEventSchema,
  AccountDeletedEventSchema,
  AccountDisabledEventSchema,
  AccountEnabledEventSchema
])

export type AccountEvent = Static<typeof AccountEventSchema>
export type AccountEventType = AccountEvent['type']

/**
 * On the Redis stream `<prefix>account-events` each entry has the fields `event` (the JSON of
 * an AccountEvent) — one field, so the entry is exactly the outbox row's payload.
 */
export const ACCOUNT_EVENTS_STREAM = 'account-events'
