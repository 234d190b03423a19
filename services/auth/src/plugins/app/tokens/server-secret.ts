/**
 * The server secret refresh-token successors and tags are derived from: generated once, kept in
 * this service's schema, shared by every replica.
 */
import { randomBytes } from 'node:crypto'
import type { Sql } from 'postgres'

export async function loadServerSecret (sql: Sql, name: string): Promise<Buffer> {
  await sql`INSERT INTO server_secrets (name, secret) VALUES (${name}, ${randomBytes(32)}) ON CONFLICT (name) DO NOTHING`
  const [row] = await sql<Array<{ secret: Buffer }>>`SELECT secret FROM server_secrets WHERE name = ${name}`
  if (row === undefined) throw new Error(`server secret ${name} missing`)
  return row.secret
}
