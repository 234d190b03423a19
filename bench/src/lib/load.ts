/**
 * autocannon, programmatic, in the runner process (the servers are forked). Latencies are taken
 * from every response with sub-millisecond precision (autocannon's own histogram rounds to ms).
 */
import autocannon from 'autocannon'
import { Samples } from './stats.js'

export interface LoadOptions {
  url: string
  method?: 'GET' | 'POST' | 'DELETE'
  headers?: Record<string, string>
  body?: string
  connections: number
  durationS: number
  /**
   * Bearer tokens presented round-robin, one per request (scenario 2). The position is kept per
   * list across runs, so a warm-up never hands the next run tokens the server has just cached.
   */
  tokens?: string[]
}

export interface LoadResult {
  /** 2xx answers per second. */
  rps: number
  ok: number
  p50: number
  p99: number
  /** Connection errors, timeouts and non-2xx answers. */
  errors: number
  non2xx: number
  durationS: number
}

const cursors = new WeakMap<string[], number>()

function roundRobin (tokens: string[]): autocannon.Request[] {
  return [{
    setupRequest: (request: autocannon.Request) => {
      const next = cursors.get(tokens) ?? 0
      cursors.set(tokens, (next + 1) % tokens.length)
      return { ...request, headers: { ...request.headers, authorization: `Bearer ${tokens[next] as string}` } }
    }
  }]
}

export async function load (options: LoadOptions): Promise<LoadResult> {
  const latencies = new Samples()
  let instance: autocannon.Instance | undefined
  const finished = new Promise<autocannon.Result>((resolve, reject) => {
    instance = autocannon({
      url: options.url,
      method: options.method ?? 'GET',
      headers: options.headers ?? {},
      ...(options.body === undefined ? {} : { body: options.body }),
      connections: options.connections,
      duration: options.durationS,
      timeout: 10,
      ...(options.tokens === undefined ? {} : { requests: roundRobin(options.tokens) })
    }, (error: unknown, result: autocannon.Result) => {
      if (error !== null && error !== undefined) reject(error instanceof Error ? error : new Error('autocannon failed', { cause: error }))
      else resolve(result)
    })
  })
  instance?.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
    if (statusCode >= 200 && statusCode < 300) latencies.push(responseTime)
  })
  const result = await finished
  const ok = result['2xx']
  return {
    rps: ok / result.duration,
    ok,
    p50: latencies.percentile(50),
    p99: latencies.percentile(99),
    errors: result.errors + result.timeouts + result.non2xx,
    non2xx: result.non2xx,
    durationS: result.duration
  }
}
