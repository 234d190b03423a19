/**
 * A job every replica runs on a timer (retention, say): the first run at a random point of the
 * interval, so replicas started together spread out; never two runs of one app at once; a failure
 * logged and retried at the next tick; on close the timer stops and a run in progress finishes.
 * The job itself must be safe to run on several replicas at once.
 */
import type { FastifyInstance } from 'fastify'

export interface PeriodicJob<Result> {
  intervalMs: number
  run: () => Promise<Result>
  /** What a completed run logs (at info); failures log at warn. */
  describe: (result: Result) => { fields: object, msg: string }
  /** Start in [0, 1): where in the first interval the first run falls. Default Math.random. */
  random?: () => number
}

export function schedulePeriodicJob<Result> (app: FastifyInstance, job: PeriodicJob<Result>): void {
  let timer: NodeJS.Timeout | undefined
  let running: Promise<void> | undefined
  const tick = (): void => {
    running ??= job.run().then(
      result => { const { fields, msg } = job.describe(result); app.log.info(fields, msg) },
      (error: unknown) => { app.log.warn({ err: error }, 'periodic job failed; retried at the next interval') }
    ).finally(() => { running = undefined })
  }
  app.addHook('onReady', async () => {
    timer = setTimeout(() => {
      tick()
      timer = setInterval(tick, job.intervalMs)
      timer.unref()
    }, Math.floor((job.random ?? Math.random)() * job.intervalMs))
    timer.unref()
  })
  app.addHook('onClose', async () => {
    clearTimeout(timer)
    clearInterval(timer)
    await running
  })
}
