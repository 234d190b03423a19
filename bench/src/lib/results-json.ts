/**
 * The JSON twin of a run's Markdown results (BENCHMARKS.json beside BENCHMARKS.md, and so on), for
 * comparing runs between commits: every row's figures as numbers next to the text the table shows.
 */
import { mkdir, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import type { BenchSettings, Quantity, ScenarioResult } from './context.js'
import type { Commit } from './commit.js'
import type { RunInfo } from './report.js'

export const FORMAT = 'latchkey-bench/1'

/** A figure: as shown, and as a number (null when not finite: a p99 over trials that never converged). */
export interface JsonFigure { text: string, value: number | null, unit: Quantity['unit'] | null }

export interface JsonRow {
  /** `5a`, `7c`: the row's label up to its first dot. */
  id: string
  scenario: number
  label: string
  measured: JsonFigure
  baseline: JsonFigure
  /** The ratio / value column, which the target is checked against. */
  value: JsonFigure
  target: string
  met: boolean | null
  cpuRatio: number | null
}

export interface BenchResults {
  format: typeof FORMAT
  date: string
  elapsedS: number
  commit: Commit | null
  machine: { cpu: string, cores: number, ramGb: number, os: string }
  versions: { node: string, fastify: string, autocannon: string, postgres: string, redis: string }
  load: { busyBefore: number | null, loadAverage: { min: number, max: number } }
  settings: BenchSettings
  /** The scenarios run: all, or those of --only. */
  scenarios: number[]
  note: string | null
  rows: JsonRow[]
  failures: string[]
}

const finite = (value: number): number | null => Number.isFinite(value) ? value : null

function figure (text: string, quantity: Quantity | undefined): JsonFigure {
  return { text, value: quantity === undefined ? null : finite(quantity.value), unit: quantity?.unit ?? null }
}

export function resultsJson (info: RunInfo & { commit: Commit | undefined, scenarios: number[] }, results: ScenarioResult[]): BenchResults {
  const { machine } = info
  return {
    format: FORMAT,
    date: info.date.toISOString(),
    elapsedS: Math.round(info.elapsedS),
    commit: info.commit ?? null,
    machine: { cpu: machine.cpu, cores: machine.cores, ramGb: machine.ramGb, os: machine.os },
    versions: { node: machine.node, fastify: machine.fastify, autocannon: machine.autocannon, postgres: info.postgres, redis: info.redis },
    load: { busyBefore: info.busyBefore ?? null, loadAverage: { min: Math.min(...info.loadAverages), max: Math.max(...info.loadAverages) } },
    settings: info.settings,
    scenarios: info.scenarios,
    note: info.note ?? null,
    rows: results.flatMap(result => result.rows.map(row => ({
      id: /^(\d+[a-z]?)\./.exec(row.scenario)?.[1] ?? String(result.id),
      scenario: result.id,
      label: row.scenario,
      measured: figure(row.measured, row.numbers.measured),
      baseline: figure(row.baseline, row.numbers.baseline),
      value: figure(row.value, row.numbers.value),
      target: row.target,
      met: row.met ?? null,
      cpuRatio: row.numbers.cpu === undefined ? null : finite(row.numbers.cpu)
    }))),
    failures: info.failures
  }
}

export async function writeResultsJson (path: string, results: BenchResults): Promise<void> {
  await mkdir(dirname(path), { recursive: true })
  await writeFile(path, `${JSON.stringify(results, null, 2)}\n`)
}
