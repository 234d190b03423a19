/** What the numbers were measured on, and how busy the machine was meanwhile. */
import { readFile } from 'node:fs/promises'
import { cpus, loadavg, release, totalmem, type as osType } from 'node:os'
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)

export interface Machine {
  cpu: string
  cores: number
  ramGb: number
  os: string
  node: string
  fastify: string
  autocannon: string
}

export function describeMachine (): Machine {
  const list = cpus()
  return {
    cpu: list[0]?.model.trim() ?? 'unknown',
    cores: list.length,
    ramGb: Math.round(totalmem() / 1024 ** 3 * 10) / 10,
    os: `${osType()} ${release()}`,
    node: process.version,
    fastify: (require('fastify/package.json') as { version: string }).version,
    autocannon: (require('autocannon/package.json') as { version: string }).version
  }
}

async function cpuTimes (): Promise<{ busy: number, total: number }> {
  const line = (await readFile('/proc/stat', 'utf8')).split('\n')[0] ?? ''
  const fields = line.trim().split(/\s+/).slice(1).map(Number)
  const total = fields.reduce((sum, value) => sum + value, 0)
  const idle = (fields[3] ?? 0) + (fields[4] ?? 0)
  return { busy: total - idle, total }
}

/** Share of all cores busy over `ms` (before our servers start, this is everyone else's load). */
export async function busyShare (ms: number): Promise<number | undefined> {
  try {
    const a = await cpuTimes()
    await new Promise(resolve => setTimeout(resolve, ms))
    const b = await cpuTimes()
    return (b.busy - a.busy) / Math.max(1, b.total - a.total)
  } catch {
    return undefined
  }
}

/** 1-minute load average, sampled through the run. */
export class LoadSampler {
  readonly samples: number[] = [loadavg()[0] ?? 0]
  readonly #timer = setInterval(() => { this.samples.push(loadavg()[0] ?? 0) }, 10_000)
  constructor () { this.#timer.unref() }
  stop (): void { clearInterval(this.#timer); this.samples.push(loadavg()[0] ?? 0) }
}
