/**
 * The server secret refresh-token successors and tags are derived from: generated once, kept in
 * this service's schema sealed under SECRETS_KEY (bound to its name), shared by every replica. A
 * clear row left by an earlier version is sealed here, keeping its value (and so every session).
 */
import { randomBytes } from 'node:crypto'
import type { Sql } from 'postgres'
import type { SecretBox } from '../secrets/secret-box.js'

export const serverSecretContext = (name: string): string => `server-secret:${name}`

export async function loadServerSecret (sql: Sql, box: SecretBox, name: string): Promise<Buffer> {
  const context = serverSecretContext(name)
  return await sql.begin(async tx => {
    // Replicas starting together generate (or seal) it once.
    await tx`SELECT pg_advisory_xact_lock(hashtext('latchkey-server-secrets'))`
    const [row] = await tx<Array<{ secret: Buffer | null, secretSealed: string | null }>>`
      SELECT secret, secret_sealed FROM server_secrets WHERE name = ${name}`
    if (row?.secretSealed != null) return box.open(row.secretSealed, context)
    const secret = row?.secret ?? randomBytes(32)
    await tx`
      INSERT INTO server_secrets (name, secret_sealed) VALUES (${name}, ${box.seal(secret, context)})
      ON CONFLICT (name) DO UPDATE SET secret_sealed = EXCLUDED.secret_sealed, secret = NULL`
    return secret
  })
}
