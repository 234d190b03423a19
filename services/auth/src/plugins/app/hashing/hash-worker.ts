/**
 * One thread of the hashing lane: argon2id runs here synchronously, one job at a time, at a lower
 * CPU priority than the event loop (see hashing-lane.ts for why).
 */
import { parentPort, workerData } from 'node:worker_threads'
import { readlinkSync } from 'node:fs'
import { getPriority, setPriority } from 'node:os'
import { hashSync, verifySync } from '@node-rs/argon2'
import type { HashJob, HashReply, LaneThreadReady } from './hashing-lane.js'

/**
 * Linux schedules threads, not processes: setpriority() on this thread's own id lowers this thread
 * alone. The thread starts at the nice of the thread that created it (the event loop's, which may
 * itself run niced) and goes `by` lower, at most to 19. Elsewhere there is no per-thread nice, and
 * the lane runs at the process's priority.
 */
function lowerOwnPriority (by: number): { tid: number | null, nice: number } {
  if (process.platform !== 'linux' || by === 0) return { tid: null, nice: 0 }
  const tid = Number(readlinkSync('/proc/thread-self').split('/').pop())
  const nice = Math.min(19, getPriority(tid) + by)
  setPriority(tid, nice)
  return { tid, nice }
}

function run (job: HashJob): string | boolean {
  if (job.op === 'hash') return hashSync(job.password, job.params)
  return verifySync(job.hash, job.password)
}

const port = parentPort
if (port === null) throw new Error('hash-worker.js runs as a worker thread of the hashing lane')
const ready: LaneThreadReady = { ready: true, ...lowerOwnPriority((workerData as { lowerBy: number }).lowerBy) }
port.postMessage(ready)
port.on('message', (job: HashJob) => {
  let reply: HashReply
  try {
    reply = { id: job.id, ok: true, value: run(job) }
  } catch (error) {
    reply = { id: job.id, ok: false, message: error instanceof Error ? error.message : String(error) }
  }
  port.postMessage(reply)
})
