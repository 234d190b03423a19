/**
 * The hashing lane: password hashes run on threads of their own, each at a lower CPU priority
 * (a higher nice) than the event loop. On a busy machine the kernel then runs the event loop first
 * whenever it has work: a flood of log-ins takes the CPU the event loop leaves, and `/verify`'s
 * latency stays close to idle (BENCHMARKS.md, scenario 5). On the libuv pool the hashes ran at the
 * event loop's priority and took their full share of every core they shared with it.
 */
import { Worker } from 'node:worker_threads'

export type HashJob =
  | { id: number, op: 'hash', password: string, params: Record<string, number> }
  | { id: number, op: 'verify', hash: string, password: string }
export type HashReply = { id: number, ok: true, value: string | boolean } | { id: number, ok: false, message: string }
/** A thread's first message: its kernel thread id and the nice it now runs at (null and 0 when unchanged). */
export interface LaneThreadReady { ready: true, tid: number | null, nice: number }

/** The thread running a hash ended before answering: no verdict on the password. */
export class HashingThreadExited extends Error {
  constructor (code: number) {
    super(`a hashing thread exited (code ${code})`)
    this.name = 'HashingThreadExited'
  }
}

type JobWithoutId<J> = J extends unknown ? Omit<J, 'id'> : never
interface Pending { resolve: (value: string | boolean) => void, reject: (error: Error) => void }

export interface HashingLane {
  run: (job: JobWithoutId<HashJob>) => Promise<string | boolean>
  /** The lane's threads: kernel thread id, nice, and the worker itself. */
  readonly threads: ReadonlyArray<{ tid: number | null, nice: number, worker: Worker }>
  close: () => Promise<void>
}

const WORKER_URL = new URL('./hash-worker.js', import.meta.url)

interface LaneThread { worker: Worker, pending: Map<number, Pending>, tid: number | null, nice: number }

export async function openHashingLane (options: { threads: number, nice: number }): Promise<HashingLane> {
  let nextId = 0
  let closing = false
  const live: LaneThread[] = []
  let starting: Promise<void> | undefined

  async function startThread (): Promise<LaneThread> {
    // The parent's flags (a test runner's loaders, --cpu-prof) are not the hashing thread's: it
    // loads one native module, and a test runner's loaders would make every start slow.
    const worker = new Worker(WORKER_URL, { workerData: { lowerBy: options.nice }, execArgv: [] })
    const ready = await new Promise<LaneThreadReady>((resolve, reject) => {
      worker.once('message', resolve)
      worker.once('error', reject)
    })
    const thread: LaneThread = { worker, pending: new Map(), tid: ready.tid, nice: ready.nice }
    worker.on('message', (reply: HashReply) => {
      const waiting = thread.pending.get(reply.id)
      thread.pending.delete(reply.id)
      if (reply.ok) waiting?.resolve(reply.value)
      else waiting?.reject(new Error(reply.message))
    })
    // An uncaught error ends the thread; 'exit' below accounts for it.
    worker.on('error', () => {})
    // A thread that dies fails what it held and is replaced, so the lane keeps its width.
    worker.once('exit', code => {
      const slot = live.indexOf(thread)
      if (slot >= 0) live.splice(slot, 1)
      for (const waiting of thread.pending.values()) waiting.reject(new HashingThreadExited(code))
      thread.pending.clear()
      if (!closing) replenish().catch(() => {})
    })
    return thread
  }

  async function replenish (): Promise<void> {
    starting ??= (async () => {
      try {
        while (live.length < options.threads) {
          // close() may have begun while the last thread started.
          if (closing) return
          live.push(await startThread())
        }
      } finally {
        starting = undefined
      }
    })()
    await starting
  }

  async function terminateAll (): Promise<void> {
    closing = true
    await starting?.catch(() => {})
    await Promise.all(live.map(async thread => await thread.worker.terminate()))
  }

  try {
    await replenish()
  } catch (error) {
    await terminateAll()
    throw error
  }

  return {
    async run (job) {
      if (live.length === 0) await replenish()
      if (live.length === 0) throw new Error('the hashing lane is closed')
      // The least busy thread: the password hasher's limit keeps this at one job per thread.
      const thread = live.reduce((least, candidate) => candidate.pending.size < least.pending.size ? candidate : least)
      const id = nextId++
      return await new Promise((resolve, reject) => {
        thread.pending.set(id, { resolve, reject })
        thread.worker.postMessage({ ...job, id })
      })
    },
    get threads () { return live.map(({ tid, nice, worker }) => ({ tid, nice, worker })) },
    close: terminateAll
  }
}
