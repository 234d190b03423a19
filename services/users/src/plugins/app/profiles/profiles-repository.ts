/**
 * Profiles in Postgres: reads, version-checked writes and the public directory. Plain async
 * functions over `sql`, returning plain objects; decorated as `app.profiles`.
 */
import fp from 'fastify-plugin'
import type { Sql } from 'postgres'
import type { Profile, PublicProfile } from '@latchkey/contracts'
import type { ProfileChanges } from './profile-input.js'

/** Where a page of the directory starts: after this sort key and id. */
export interface PagePosition {
  sortKey: string
  id: string
}

export interface VersionedProfile {
  profile: Profile
  version: number
}

export type WriteOutcome =
  | { status: 'written', profile: Profile, version: number }
  | { status: 'not_found' }
  | { status: 'stale' }

export interface DirectoryPage {
  items: PublicProfile[]
  /** Where the next page starts; undefined on the last page. */
  next: PagePosition | undefined
}

interface ProfileRow {
  id: string
  name: string
  bio: string | null
  avatarUrl: string | null
  locale: string | null
  timezone: string | null
  version: number
  createdAt: Date
  updatedAt: Date
}

function toVersioned (row: ProfileRow): VersionedProfile {
  return {
    profile: {
      id: row.id,
      name: row.name,
      bio: row.bio,
      avatarUrl: row.avatarUrl,
      locale: row.locale,
      timezone: row.timezone,
      createdAt: row.createdAt.toISOString(),
      updatedAt: row.updatedAt.toISOString()
    },
    version: row.version
  }
}

/** LIKE's wildcards and its escape character, taken literally. */
function likePrefix (text: string): string {
  return `${text.replace(/[\\%_]/g, char => `\\${char}`)}%`
}

export function createProfilesRepository (sql: Sql) {
  async function find (id: string): Promise<VersionedProfile | undefined> {
    const [row] = await sql<ProfileRow[]>`SELECT * FROM profiles WHERE id = ${id}`
    return row === undefined ? undefined : toVersioned(row)
  }

  return {
    find,

    /**
     * Applies `changes` in one statement. With `expectedVersions` the row is only written while its
     * version is one of them, so two writers holding the same ETag can never both succeed.
     */
    async write (id: string, changes: ProfileChanges, expectedVersions?: number[]): Promise<WriteOutcome> {
      if (expectedVersions !== undefined && expectedVersions.length === 0) {
        return (await find(id)) === undefined ? { status: 'not_found' } : { status: 'stale' }
      }
      if (Object.keys(changes).length === 0) {
        const current = await find(id)
        if (current === undefined) return { status: 'not_found' }
        if (expectedVersions !== undefined && !expectedVersions.includes(current.version)) return { status: 'stale' }
        return { status: 'written', ...current }
      }
      const [row] = await sql<ProfileRow[]>`
        UPDATE profiles
        SET ${sql(changes)}, version = version + 1, updated_at = now()
        WHERE id = ${id} ${expectedVersions === undefined ? sql`` : sql`AND version IN ${sql(expectedVersions)}`}
        RETURNING *`
      if (row !== undefined) return { status: 'written', ...toVersioned(row) }
      return (await find(id)) === undefined ? { status: 'not_found' } : { status: 'stale' }
    },

    /** Public profiles ordered by (lower(name), id), optionally those whose name starts with `prefix`. */
    async directory (options: { limit: number, after?: PagePosition | undefined, prefix?: string | undefined }): Promise<DirectoryPage> {
      const { limit, after, prefix } = options
      // COLLATE "C" matches the index expression, so both the prefix LIKE and the order use it.
      const rows = await sql<Array<PublicProfile & { sortKey: string }>>`
        SELECT id, name, bio, avatar_url, lower(name) AS sort_key
        FROM profiles
        WHERE true
          ${prefix === undefined ? sql`` : sql`AND lower(name) COLLATE "C" LIKE lower(${likePrefix(prefix)}) COLLATE "C"`}
          ${after === undefined ? sql`` : sql`AND (lower(name) COLLATE "C", id) > (${after.sortKey} COLLATE "C", ${after.id}::uuid)`}
        ORDER BY lower(name) COLLATE "C", id
        LIMIT ${limit + 1}`
      const page = rows.slice(0, limit)
      const last = page.at(-1)
      return {
        items: page.map(({ id, name, bio, avatarUrl }) => ({ id, name, bio, avatarUrl })),
        next: rows.length > limit && last !== undefined ? { sortKey: last.sortKey, id: last.id } : undefined
      }
    }
  }
}

export type ProfilesRepository = ReturnType<typeof createProfilesRepository>

declare module 'fastify' {
  interface FastifyInstance {
    profiles: ProfilesRepository
  }
}

export default fp(async function profilesRepository (app) {
  app.decorate('profiles', createProfilesRepository(app.sql))
}, { name: 'profiles-repository', dependencies: ['postgres'] })
