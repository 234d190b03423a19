/**
 * Applies one account event to the profiles, exactly once: the event id is recorded in
 * processed_events in the same transaction as the effect, so a redelivery changes nothing.
 * A deleted account leaves a tombstone, so a late or repeated account.created never brings
 * the profile back.
 */
import type { Sql } from 'postgres'
import type { AccountEvent } from '@latchkey/contracts'

export type ApplyOutcome = 'applied' | 'duplicate'

export async function applyAccountEvent (sql: Sql, event: AccountEvent): Promise<ApplyOutcome> {
  return await sql.begin(async tx => {
    // Events about one account are serialized, so a created and a deleted handled concurrently
    // (by two consumers) cannot interleave and leave a profile behind.
    await tx`SELECT pg_advisory_xact_lock(hashtext(${`latchkey-users-account:${event.data.id}`}))`
    const recorded = await tx`
      INSERT INTO processed_events (event_id, event_type) VALUES (${event.id}, ${event.type})
      ON CONFLICT (event_id) DO NOTHING
      RETURNING event_id`
    if (recorded.length === 0) return 'duplicate' as const
    switch (event.type) {
      case 'account.created': {
        const name = event.data.name.trim() === '' ? event.data.name : event.data.name.trim()
        await tx`
          INSERT INTO profiles (id, name)
          SELECT ${event.data.id}, ${name}
          WHERE NOT EXISTS (SELECT 1 FROM deleted_accounts WHERE id = ${event.data.id})
          ON CONFLICT (id) DO NOTHING`
        break
      }
      case 'account.deleted':
        await tx`INSERT INTO deleted_accounts (id) VALUES (${event.data.id}) ON CONFLICT (id) DO NOTHING`
        await tx`DELETE FROM profiles WHERE id = ${event.data.id}`
        break
      case 'account.disabled':
      case 'account.enabled':
        // Availability is the auth service's concern; the guard already refuses a disabled account's tokens.
        break
    }
    return 'applied' as const
  })
}
