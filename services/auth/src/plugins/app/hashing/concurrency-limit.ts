/**
 * At most N tasks at once, at most `maxPending` more queued in order; `pending` exposes the queue
 * depth. A task beyond the queue is refused at once (QueueFullError) rather than left to wait
 * without bound.
 */
export interface ConcurrencyLimit {
  <T>(task: () => Promise<T>): Promise<T>
  readonly pending: number
}

export class QueueFullError extends Error {
  constructor () {
    super('the queue is full')
    this.name = 'QueueFullError'
  }
}

export function createConcurrencyLimit (concurrency: number, maxPending = Infinity): ConcurrencyLimit {
  let active = 0
  const queue: Array<() => void> = []
  const limit = async <T>(task: () => Promise<T>): Promise<T> => {
    if (active >= concurrency) {
      if (queue.length >= maxPending) throw new QueueFullError()
      await new Promise<void>(resolve => queue.push(resolve))
    } else {
      active++
    }
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
