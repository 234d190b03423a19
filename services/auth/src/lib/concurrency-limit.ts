/**
 * At most N tasks at once, the rest queued in order; `pending` exposes the queue depth.
 */
export interface ConcurrencyLimit {
  <T>(task: () => Promise<T>): Promise<T>
  readonly pending: number
}

export function createConcurrencyLimit (concurrency: number): ConcurrencyLimit {
  let active = 0
  const queue: Array<() => void> = []
  const limit = async <T>(task: () => Promise<T>): Promise<T> => {
    if (active >= concurrency) await new Promise<void>(resolve => queue.push(resolve))
    else active++
    try {
      return await task()
    } finally {
      // A queued task inherits this slot, so `active` only drops when the queue is empty.
      const waiting = queue.shift()
      if (waiting !== undefined) waiting()
      else active--
    }
  }
  return Object.defineProperty(limit, 'pending', { get: () => queue.length }) as ConcurrencyLimit
}
