/**
 * The part of bench/src/lib/ipc.ts a peer server speaks: it reports { type: 'ready', port },
 * answers 'stats' (its CPU time, for CPU per request) and 'close'. Anything else is an error.
 */
import { getHeapSpaceStatistics } from 'node:v8'

export function serveIpc (app, closers) {
  async function answer (request) {
    switch (request.type) {
      case 'stats': {
        const usage = process.memoryUsage()
        const cpu = process.cpuUsage()
        const youngGeneration = getHeapSpaceStatistics()
          .filter(space => space.space_name === 'new_space' || space.space_name === 'new_large_object_space')
          .reduce((sum, space) => sum + space.physical_space_size, 0)
        return { type: 'stats', id: request.id, rss: usage.rss, heapUsed: usage.heapUsed, heapTotal: usage.heapTotal, youngGeneration, cpuMicros: cpu.user + cpu.system }
      }
      case 'close':
        await app.close()
        for (const close of closers) await close()
        return { type: 'closed', id: request.id }
      default:
        throw new Error(`a peer server does not answer ${String(request.type)}`)
    }
  }
  process.on('message', message => {
    answer(message).then(
      reply => { process.send?.(reply, () => { if (reply.type === 'closed') process.exit(0) }) },
      error => { process.send?.({ type: 'error', id: message.id, message: String(error) }) }
    )
  })
  process.on('disconnect', () => { process.exit(0) })
}

export function reportReady (app) {
  const address = app.server.address()
  process.send?.({ type: 'ready', port: typeof address === 'object' && address !== null ? address.port : 0 })
}

export function required (name) {
  const value = process.env[name]
  if (value === undefined || value === '') throw new Error(`peer server: ${name} is required`)
  return value
}
