/**
 * argon2id password hashing (@node-rs/argon2: measured twice as fast here as `argon2` at the same
 * parameters). Hashing runs on the libuv pool; a small concurrency limit keeps login bursts from
 * starving the event loop, and the queue depth is visible. Unknown emails are verified against a
 * dummy hash so they cost the same time as a wrong password.
 */
import fp from 'fastify-plugin'
import { randomBytes } from 'node:crypto'
import { hash, parseOptions, verify } from '@node-rs/argon2'
import type { AuthConfig } from '../../config.js'
import { createConcurrencyLimit } from '../../lib/concurrency-limit.js'

// Algorithm.Argon2id: a const enum in the library's typings, which isolated modules cannot read.
const ARGON2ID = 2

export interface PasswordHasherOptions {
  memoryCost: number
  timeCost: number
  parallelism: number
  concurrency: number
}

export async function createPasswordHasher (options: PasswordHasherOptions) {
  const limit = createConcurrencyLimit(options.concurrency)
  const params = { algorithm: ARGON2ID, memoryCost: options.memoryCost, timeCost: options.timeCost, parallelism: options.parallelism }
  const hashPassword = async (password: string): Promise<string> => await limit(async () => await hash(password, params))
  const dummyHash = await hashPassword(randomBytes(32).toString('base64url'))

  return {
    hashPassword,
    /** Verifies against the stored hash, or against the dummy hash when there is none. */
    async verifyPassword (storedHash: string | undefined, password: string): Promise<boolean> {
      const valid = await limit(async () => {
        try {
          return await verify(storedHash ?? dummyHash, password)
        } catch {
          return false
        }
      })
      return storedHash !== undefined && valid
    },
    /** True when a hash was made with other parameters than the configured ones (re-hash on login). */
    needsRehash (storedHash: string): boolean {
      try {
        const used = parseOptions(storedHash)
        return used.algorithm !== ARGON2ID || used.memoryCost !== params.memoryCost ||
          used.timeCost !== params.timeCost || used.parallelism !== params.parallelism
      } catch {
        return true
      }
    },
    get queueDepth (): number { return limit.pending }
  }
}

export type PasswordHasher = Awaited<ReturnType<typeof createPasswordHasher>>

declare module 'fastify' {
  interface FastifyInstance { passwordHasher: PasswordHasher }
}

export default fp(async function passwordHasher (app, options: { config: AuthConfig }) {
  app.decorate('passwordHasher', await createPasswordHasher({
    memoryCost: options.config.ARGON2_MEMORY_COST,
    timeCost: options.config.ARGON2_TIME_COST,
    parallelism: options.config.ARGON2_PARALLELISM,
    concurrency: options.config.PASSWORD_HASH_CONCURRENCY
  }))
}, { name: 'password-hasher' })
