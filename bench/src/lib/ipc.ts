/** The messages between run.ts and a forked server.ts. */

export interface ReloadTiming {
  /** Wall-clock ms (performance.timeOrigin + now()), comparable across processes. */
  startedAt: number
  /** When the last page was applied (0 until then). */
  appliedAt: number
  entries: number
}

export type ChildRequest =
  | { type: 'stats', id: number, gc?: boolean }
  | { type: 'drop-redis', id: number }
  | { type: 'reloads', id: number, since: number }
  | { type: 'hashbench', id: number, concurrency: number, durationMs: number }
  | { type: 'close', id: number }

export type ChildReply =
  | { type: 'stats', id: number, rss: number, heapUsed: number, heapTotal: number, youngGeneration: number, cpuMicros: number }
  | { type: 'dropped', id: number, at: number, count: number }
  | { type: 'reloads', id: number, reloads: ReloadTiming[] }
  | { type: 'hashbench', id: number, count: number, elapsedMs: number }
  | { type: 'closed', id: number }
  | { type: 'error', id: number, message: string }

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never
export type ChildRequestBody = DistributiveOmit<ChildRequest, 'id'>
