/**
 * Every column that holds a secret sealed by the secret box, and the two operations on all of
 * them: the start-up check that each envelope names a key this process holds (a replica started
 * without the key its rows were sealed under refuses to start, touching nothing, instead of
 * failing at the first log in with a second factor), and the re-keying of `latchkey-admin
 * rekey-secrets`, which re-seals every row of an older key under SECRETS_KEY.
 */
import type { Sql } from 'postgres'
import { ConfigError } from '@latchkey/contracts'
import { totpContext } from '../mfa/mfa.js'
import { serverSecretContext } from '../tokens/server-secret.js'
import { signingKeyContext } from '../tokens/signing-keys.js'
import type { SecretBox } from './secret-box.js'

interface SealedColumn {
  kind: 'signingKeys' | 'serverSecrets' | 'totpSecrets'
  table: string
  /** The row's key, which the envelope's context is made of. */
  key: string
  column: string
  context: (key: string) => string
}

/** A new sealed column belongs here, or it is neither checked nor re-keyed. */
export const sealedColumns: readonly SealedColumn[] = [
  { kind: 'signingKeys', table: 'signing_keys', key: 'kid', column: 'private_key_sealed', context: signingKeyContext },
  { kind: 'serverSecrets', table: 'server_secrets', key: 'name', column: 'secret_sealed', context: serverSecretContext },
  { kind: 'totpSecrets', table: 'mfa_totp_factors', key: 'account_id', column: 'secret_envelope', context: totpContext }
]

export type SealedCounts = Record<SealedColumn['kind'], number>

/** Refuses (ConfigError) rows sealed under a key the box does not hold; names key ids and counts, never a value. */
export async function checkSealedSecrets (sql: Sql, box: SecretBox): Promise<void> {
  const unknown: string[] = []
  for (const { kind, table, column } of sealedColumns) {
    const rows = await sql<Array<{ id: string, count: number }>>`
      SELECT split_part(${sql(column)}, '.', 2) AS id, count(*)::int AS count FROM ${sql(table)}
      WHERE ${sql(column)} IS NOT NULL AND split_part(${sql(column)}, '.', 2) <> ALL(${sql.array([...box.keyIds])})
      GROUP BY 1 ORDER BY 1`
    for (const row of rows) unknown.push(`${row.count} ${kind} under key id ${row.id}`)
  }
  if (unknown.length === 0) return
  throw new ConfigError([
    `SECRETS_KEY, SECRETS_KEY_PREVIOUS: secrets in the database are sealed under a key neither holds (${unknown.join(', ')}; SECRETS_KEY is ${box.keyId}): ` +
    'set that key in SECRETS_KEY_PREVIOUS, start, and run latchkey-admin rekey-secrets. Nothing was changed.'
  ])
}

/** Rows re-sealed in one transaction each, so a replica's row locks are held only briefly. */
const BATCH = 500

/**
 * Re-seals, under SECRETS_KEY, every row sealed under another key the box holds. Idempotent and
 * resumable: each batch commits on its own and a row is done once its envelope names SECRETS_KEY.
 * Returns the rows re-sealed and those still under another key (a replica sealing with an old
 * SECRETS_KEY meanwhile).
 */
export async function rekeySealedSecrets (sql: Sql, box: SecretBox): Promise<{ resealed: SealedCounts, remaining: SealedCounts }> {
  const resealed: SealedCounts = { signingKeys: 0, serverSecrets: 0, totpSecrets: 0 }
  const remaining: SealedCounts = { signingKeys: 0, serverSecrets: 0, totpSecrets: 0 }
  for (const { kind, table, key, column, context } of sealedColumns) {
    const seen = new Set<string>()
    for (;;) {
      const done = await sql.begin(async tx => {
        const rows = await tx<Array<{ id: string, envelope: string }>>`
          SELECT ${tx(key)}::text AS id, ${tx(column)} AS envelope FROM ${tx(table)}
          WHERE ${tx(column)} IS NOT NULL AND split_part(${tx(column)}, '.', 2) <> ${box.keyId}
          ORDER BY ${tx(key)} LIMIT ${BATCH} FOR UPDATE`
        // A row seen before came back under an old key: something seals with one; stop, report it.
        const fresh = rows.filter(row => !seen.has(row.id))
        for (const row of fresh) {
          seen.add(row.id)
          const sealed = box.seal(box.open(row.envelope, context(row.id)), context(row.id))
          await tx`UPDATE ${tx(table)} SET ${tx(column)} = ${sealed} WHERE ${tx(key)}::text = ${row.id}`
        }
        resealed[kind] += fresh.length
        return fresh.length < BATCH
      })
      if (done) break
    }
    const [left] = await sql<Array<{ count: number }>>`
      SELECT count(*)::int AS count FROM ${sql(table)}
      WHERE ${sql(column)} IS NOT NULL AND split_part(${sql(column)}, '.', 2) <> ${box.keyId}`
    remaining[kind] = left?.count ?? 0
  }
  return { resealed, remaining }
}
