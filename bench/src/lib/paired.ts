/**
 * Rounds of a scenario against its baseline, interleaved (baseline, subject, baseline, …) so that
 * drift in the machine's load hits both alike; each server is warmed up before its first round.
 */
import { load, type LoadOptions, type LoadResult } from './load.js'
import { median } from './stats.js'
import type { BenchSettings } from './context.js'

export interface Paired {
  baseline: LoadResult[]
  subject: LoadResult[]
  baselineRps: number
  subjectRps: number
  ratio: number
}

export async function pairedLoad (settings: BenchSettings, baseline: Omit<LoadOptions, 'durationS'>, subject: Omit<LoadOptions, 'durationS'>): Promise<Paired> {
  await load({ ...baseline, durationS: settings.warmupS })
  await load({ ...subject, durationS: settings.warmupS })
  const result: Paired = { baseline: [], subject: [], baselineRps: 0, subjectRps: 0, ratio: 0 }
  for (let round = 0; round < settings.rounds; round++) {
    result.baseline.push(await load({ ...baseline, durationS: settings.durationS }))
    result.subject.push(await load({ ...subject, durationS: settings.durationS }))
  }
  result.baselineRps = median(result.baseline.map(r => r.rps))
  result.subjectRps = median(result.subject.map(r => r.rps))
  result.ratio = result.subjectRps / result.baselineRps
  return result
}

/** Throws when a run had errors: a throughput with failures in it compares nothing. */
export function assertClean (what: string, results: LoadResult[]): void {
  for (const result of results) {
    if (result.errors > 0) throw new Error(`${what}: ${result.errors} errors/non-2xx in ${result.ok + result.errors} requests`)
  }
}

export function describeRounds (name: string, results: LoadResult[]): string {
  return `${name}: ${results.map(r => `${Math.round(r.rps).toLocaleString('en-US')} req/s (p99 ${r.p99.toFixed(2)} ms)`).join(' · ')}`
}
