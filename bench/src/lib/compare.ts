/** `pnpm bench --compare A.json B.json`: each row's ratio / value in run A and run B, and the change. */
import { readFile } from 'node:fs/promises'
import { FORMAT, type BenchResults, type JsonRow } from './results-json.js'

export async function readResults (path: string): Promise<BenchResults> {
  const parsed = JSON.parse(await readFile(path, 'utf8')) as Partial<BenchResults> | null
  if (parsed?.format !== FORMAT) throw new Error(`${path} is not a ${FORMAT} results file`)
  return parsed as BenchResults
}

function describeRun (name: string, results: BenchResults): string {
  const commit = results.commit === null ? 'no commit recorded' : `commit ${results.commit.hash.slice(0, 10)}${results.commit.dirty ? ' + uncommitted changes' : ''}`
  const { quick, rounds, durationS } = results.settings
  return `${name}: ${results.date}, ${commit}, ${quick ? 'quick' : `${rounds} × ${durationS} s`}, scenarios ${results.scenarios.join(',')}` +
    (results.note === null ? '' : ` (${results.note})`)
}

const met = (row: JsonRow | undefined): string => row === undefined || row.met === null ? '—' : row.met ? 'yes' : 'no'

function change (a: JsonRow | undefined, b: JsonRow | undefined): string {
  const before = a?.value.value ?? null
  const after = b?.value.value ?? null
  if (before === null || after === null || before === 0) return '—'
  const share = after / before - 1
  return `${share >= 0 ? '+' : ''}${(share * 100).toFixed(1)}%`
}

export function compareResults (a: BenchResults, b: BenchResults): string {
  const lines = [describeRun('A', a), describeRun('B', b)]
  const settings = Object.keys(a.settings) as Array<keyof BenchResults['settings']>
  const differing = settings.filter(key => a.settings[key] !== b.settings[key]).map(key => `${key} ${String(a.settings[key])} → ${String(b.settings[key])}`)
  if (differing.length > 0) lines.push(`settings differ: ${differing.join(', ')}`)
  const ids = [...new Set([...a.rows, ...b.rows].map(row => row.id))]
  const table = [['row', 'A', 'B', 'change', 'met A → B', 'target', 'scenario']]
  for (const id of ids) {
    const before = a.rows.find(row => row.id === id)
    const after = b.rows.find(row => row.id === id)
    const { label, target } = (after ?? before) as JsonRow
    table.push([id, before?.value.text ?? '—', after?.value.text ?? '—', change(before, after), `${met(before)} → ${met(after)}`, target, label.replace(/^\S+\.\s*/, '')])
  }
  const widths = (table[0] as string[]).map((_, column) => Math.max(...table.map(row => (row[column] as string).length)))
  lines.push('', ...table.map(row => row.map((cell, column) => column === row.length - 1 ? cell : cell.padEnd(widths[column] as number)).join('  ')))
  return `${lines.join('\n')}\n`
}
