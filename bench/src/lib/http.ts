/** One request at a time over a keep-alive connection, for the propagation trials (6, 8) and set-up. */
import { Agent, request as httpRequest } from 'node:http'
import { performance } from 'node:perf_hooks'

const agent = new Agent({ keepAlive: true, maxSockets: 16 })

export interface Answer {
  status: number
  body: string
  headers: Record<string, string | string[] | undefined>
  /** Wall-clock ms when the answer was complete. */
  at: number
}

export const wallNow = (): number => performance.timeOrigin + performance.now()

export async function call (url: string, options: { method?: string, token?: string, json?: unknown, headers?: Record<string, string> } = {}): Promise<Answer> {
  const body = options.json === undefined ? undefined : JSON.stringify(options.json)
  const headers: Record<string, string> = { ...options.headers }
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`
  if (body !== undefined) headers['content-type'] = 'application/json'
  return await new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: options.method ?? 'GET', headers, agent }, res => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('end', () => { resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), headers: res.headers, at: wallNow() }) })
      res.on('error', reject)
    })
    req.on('error', reject)
    req.setTimeout(10_000, () => { req.destroy(new Error(`timeout: ${options.method ?? 'GET'} ${url}`)) })
    req.end(body)
  })
}

export async function expectStatus (answer: Promise<Answer>, status: number, what: string): Promise<Answer> {
  const got = await answer
  if (got.status !== status) throw new Error(`${what}: expected ${status}, got ${got.status} ${got.body.slice(0, 300)}`)
  return got
}

export function closeAgent (): void { agent.destroy() }

/**
 * Open-loop load at a steady rate (scenario 5): requests are sent on schedule whether or not
 * earlier ones have been answered, and each latency runs from its scheduled send time, so a
 * stalled server shows up in the percentiles instead of slowing the generator down.
 */
export async function pacedLoad (url: string, options: { token: string, rate: number, durationS: number, sockets: number }): Promise<{ latencies: number[], errors: number, sent: number }> {
  const pacedAgent = new Agent({ keepAlive: true, maxSockets: options.sockets })
  const headers = { authorization: `Bearer ${options.token}` }
  const latencies: number[] = []
  let errors = 0
  let sent = 0
  const start = performance.now()
  const total = Math.round(options.rate * options.durationS)
  const inFlight = new Set<Promise<void>>()
  const send = (scheduledAt: number): void => {
    const done = new Promise<void>(resolve => {
      const req = httpRequest(url, { headers, agent: pacedAgent }, res => {
        res.resume()
        res.on('end', () => {
          if (res.statusCode === 200) latencies.push(performance.now() - scheduledAt)
          else errors++
          resolve()
        })
      })
      req.on('error', () => { errors++; resolve() })
      req.end()
    })
    inFlight.add(done)
    void done.then(() => inFlight.delete(done))
  }
  while (sent < total) {
    const due = Math.min(total, Math.floor((performance.now() - start) * options.rate / 1000) + 1)
    while (sent < due) send(start + sent++ * 1000 / options.rate)
    await new Promise(resolve => setTimeout(resolve, 1))
  }
  await Promise.all(inFlight)
  pacedAgent.destroy()
  return { latencies, errors, sent }
}
