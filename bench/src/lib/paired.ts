/**
 * Rounds of a scenario against its baseline, interleaved (baseline, subject, baseline, …) so that
 * drift in the machine's load hits both alike; each server is warmed up before its first round.
 * Besides throughput, the server process's CPU time per answered request is recorded: on a busy
 * machine it is the steadier figure (throughput of a CPU-bound server ≈ 1 / CPU per request).
 */
import { load, type LoadOptions, type LoadResult } from './load.js'
import { median } from './stats.js'
import type { BenchContext, ResultRow } from './context.js'
import type { ServerProcess } from './processes.js'

export interface Measured extends LoadResult {
  /** Server CPU µs per 2xx answer. */
  cpuPerRequest: number
}

export interface Paired {
  baseline: Measured[]
  subject: Measured[]
  baselineRps: number
  subjectRps: number
  ratio: number
  /** median subject CPU/request ÷ median baseline CPU/request. */
  cpuRatio: number
}

export interface Side {
  server: ServerProcess
  load: Omit<LoadOptions, 'durationS'>
}

async function measure (side: Side, durationS: number): Promise<Measured> {
  const before = await side.server.cpuMicros()
  const result = await load({ ...side.load, durationS })
  const after = await side.server.cpuMicros()
  return { ...result, cpuPerRequest: (after - before) / Math.max(1, result.ok) }
}

export async function pairedLoad ({ settings, progress }: Pick<BenchContext, 'settings' | 'progress'>, baseline: Side, subject: Side): Promise<Paired> {
  await load({ ...baseline.load, durationS: settings.warmupS })
  await load({ ...subject.load, durationS: settings.warmupS })
  const result: Paired = { baseline: [], subject: [], baselineRps: 0, subjectRps: 0, ratio: 0, cpuRatio: 0 }
  for (let round = 0; round < settings.rounds; round++) {
    progress.round(round + 1, settings.rounds)
    result.baseline.push(await measure(baseline, settings.durationS))
    result.subject.push(await measure(subject, settings.durationS))
  }
  result.baselineRps = median(result.baseline.map(r => r.rps))
  result.subjectRps = median(result.subject.map(r => r.rps))
  result.ratio = result.subjectRps / result.baselineRps
  result.cpuRatio = median(result.subject.map(r => r.cpuPerRequest)) / median(result.baseline.map(r => r.cpuPerRequest))
  return result
}

/** A throughput row's figures: subject and baseline req/s, their ratio, and the CPU ratio. */
export function pairedNumbers (paired: Paired): ResultRow['numbers'] {
  return {
    measured: { value: paired.subjectRps, unit: 'req/s' },
    baseline: { value: paired.baselineRps, unit: 'req/s' },
    value: { value: paired.ratio, unit: '×' },
    cpu: paired.cpuRatio
  }
}

/** Throws when a run had errors: a throughput with failures in it compares nothing. */
export function assertClean (what: string, results: LoadResult[]): void {
  for (const result of results) {
    if (result.errors > 0) throw new Error(`${what}: ${result.errors} errors/non-2xx in ${result.ok + result.errors} requests`)
  }
}

export function describeRounds (name: string, results: Measured[]): string {
  return `${name}: ${results.map(r => `${Math.round(r.rps).toLocaleString('en-US')} req/s (p99 ${r.p99.toFixed(2)} ms, ${Math.round(r.cpuPerRequest)} µs CPU/req)`).join(' · ')}`
}

export function describeCpu (paired: Paired): string {
  return `server CPU per request, subject ÷ baseline (medians): ${paired.cpuRatio.toFixed(2)}× — i.e. a CPU-bound ceiling of ${(1 / paired.cpuRatio).toFixed(2)}× the baseline's throughput`
}
