/**
 * argon2id password hashing (@node-rs/argon2: measured twice as fast here as `argon2` at the same
 * parameters). Hashing runs on the hashing lane, threads of its own at a lower CPU priority than
 * the event loop; a concurrency limit as wide as the lane queues the rest, and the queue depth is
 * visible. Unknown emails are verified against a
 * dummy hash so they cost the same time as a wrong password.
 *
 * The queue is bounded (ASVS 15.2.2): a flood of log-ins must not make every log-in, registration
 * and password change wait behind it. Beyond PASSWORD_HASH_QUEUE_MAX waiting hashes a request is
 * refused at once with 503 `overloaded` and Retry-After. Unset, the bound is what the hashing
 * slots clear in MAX_QUEUE_WAIT_MS at the hash time measured at start-up (one verification of
 * the dummy hash): e.g. ~10 ms per hash and 2 slots give 400, so the last one queued still waits
 * no more than about 2 s.
 */
import fp from 'fastify-plugin'
import { randomBytes } from 'node:crypto'
import { parseOptions, type Algorithm } from '@node-rs/argon2'
import type { AuthConfig } from '../../../config.js'
import { errors } from '../../../errors.js'
import { createConcurrencyLimit, QueueFullError } from './concurrency-limit.js'
import { HashingThreadExited, openHashingLane } from './hashing-lane.js'

// Algorithm.Argon2id: a const enum in the library's typings, whose values isolated modules cannot read.
// eslint-disable-next-line @typescript-eslint/no-unsafe-enum-assignment -- so the value is written here, once, as that type
const ARGON2ID = 2 as Algorithm
const MAX_QUEUE_WAIT_MS = 2000

export interface PasswordHasherOptions {
  memoryCost: number
  timeCost: number
  parallelism: number
  concurrency: number
  /** How much lower than the event loop's the hashing threads' CPU priority is (Linux nice, 0–19). */
  nice: number
  /** Hashes that may wait; unset = sized from the measured hash time (see above). */
  queueMax?: number | undefined
}

export async function createPasswordHasher (options: PasswordHasherOptions) {
  const params = { algorithm: ARGON2ID, memoryCost: options.memoryCost, timeCost: options.timeCost, parallelism: options.parallelism }
  const lane = await openHashingLane({ threads: options.concurrency, nice: options.nice })
  const hash = async (password: string): Promise<string> => await lane.run({ op: 'hash', password, params }) as string
  const verify = async (storedHash: string, password: string): Promise<boolean> => await lane.run({ op: 'verify', hash: storedHash, password }) as boolean
  let dummyHash: string
  let hashMs: number
  try {
    dummyHash = await hash(randomBytes(32).toString('base64url'))
    const started = performance.now()
    await verify(dummyHash, 'a password to time one verification')
    hashMs = Math.max(1, performance.now() - started)
  } catch (error) {
    // Parameters argon2 refuses: the service does not start, and its threads must not keep it alive.
    await lane.close()
    throw error
  }
  const queueMax = options.queueMax ?? Math.floor(MAX_QUEUE_WAIT_MS / hashMs) * options.concurrency
  const limit = createConcurrencyLimit(options.concurrency, queueMax)
  // What the slots need to clear a full queue: when to come back.
  const retryAfterSeconds = (queueMax / options.concurrency + 1) * hashMs / 1000

  async function limited<T> (task: () => Promise<T>): Promise<T> {
    try {
      return await limit(task)
    } catch (error) {
      if (error instanceof QueueFullError) throw errors.overloaded(retryAfterSeconds)
      throw error
    }
  }
  const hashPassword = async (password: string): Promise<string> => await limited(async () => await hash(password))
  let verifications = 0

  return {
    hashPassword,
    /** Verifies against the stored hash, or against the dummy hash when there is none. */
    async verifyPassword (storedHash: string | undefined, password: string): Promise<boolean> {
      const valid = await limited(async () => {
        verifications++
        try {
          return await verify(storedHash ?? dummyHash, password)
        } catch (error) {
          // A malformed stored hash is a failed check; a thread that died gave no verdict at all.
          if (error instanceof HashingThreadExited) throw error
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
    get queueDepth (): number { return limit.pending },
    /** argon2 verifications run since start, real and dummy alike. */
    get verifications (): number { return verifications },
    /** The queue bound and the hash time measured at start-up. */
    queueMax,
    hashMs,
    /** The hashing threads: kernel thread id, the nice it runs at, and the worker. */
    get threads () { return lane.threads },
    close: lane.close
  }
}

export type PasswordHasher = Awaited<ReturnType<typeof createPasswordHasher>>

declare module 'fastify' {
  interface FastifyInstance { passwordHasher: PasswordHasher }
}

export default fp(async function passwordHasher (app, options: { config: AuthConfig }) {
  const hasher = await createPasswordHasher({
    memoryCost: options.config.ARGON2_MEMORY_COST,
    timeCost: options.config.ARGON2_TIME_COST,
    parallelism: options.config.ARGON2_PARALLELISM,
    concurrency: options.config.PASSWORD_HASH_CONCURRENCY,
    nice: options.config.PASSWORD_HASH_NICE,
    queueMax: options.config.PASSWORD_HASH_QUEUE_MAX
  })
  // A derived bound is visible, so an operator can see what the measurement chose.
  app.log.info({ hashMs: Math.round(hasher.hashMs), queueMax: hasher.queueMax, threads: hasher.threads.length, nice: options.config.PASSWORD_HASH_NICE }, 'password hash queue bounded')
  app.decorate('passwordHasher', hasher)
  app.addHook('onClose', hasher.close)
}, { name: 'password-hasher' })
