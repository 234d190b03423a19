import t from 'tap'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { compareResults, readResults } from '../src/lib/compare.js'
import { FORMAT, type BenchResults, type JsonRow } from '../src/lib/results-json.js'
import { benchSettings } from '../src/lib/cli.js'

const row = (id: string, text: string, value: number | null, met: boolean | null): JsonRow => ({
  id,
  scenario: Number.parseInt(id),
  label: `${id}. row ${id}`,
  measured: { text, value, unit: 'ms' },
  baseline: { text: '—', value: null, unit: null },
  value: { text, value, unit: '×' },
  target: '≥ 0.80×',
  met,
  cpuRatio: null
})

const run = (quick: boolean, rows: JsonRow[], extra: Partial<BenchResults> = {}): BenchResults => ({
  format: FORMAT,
  date: '2026-11-30T09:00:00.000Z',
  elapsedS: 700,
  commit: { hash: '0123456789abcdef0123456789abcdef01234567', dirty: false },
  machine: { cpu: 'AMD EPYC', cores: 2, ramGb: 23.5, os: 'Linux 6' },
  versions: { node: 'v20', fastify: '5', autocannon: '9', postgres: 'PostgreSQL 15', redis: '7' },
  load: { busyBefore: null, loadAverage: { min: 1, max: 2 } },
  settings: benchSettings({ quick, only: undefined, note: undefined, out: undefined, durationS: undefined, uvThreadpoolSize: undefined, passwordHashConcurrency: undefined }, 2),
  scenarios: [1, 4, 5],
  note: null,
  rows,
  failures: [],
  ...extra
})

t.test('each row: A, B, the change of the compared figure, met before and after', async t => {
  const a = run(false, [row('1', '0.80×', 0.8, true), row('4', '0.50×', 0.5, false), row('5a', '0.00×', 0, false), row('6', 'n/a', null, null)])
  const b = run(true, [row('1', '0.84×', 0.84, true), row('4', '0.45×', 0.45, false), row('5a', '1.00×', 1, null), row('7a', '0.99×', 0.99, null)], {
    commit: { hash: 'fedcba9876543210fedcba9876543210fedcba98', dirty: true }, note: 'busy', scenarios: [1, 4, 5, 7]
  })
  t.equal(compareResults(a, b), [
    'A: 2026-11-30T09:00:00.000Z, commit 0123456789, 3 × 10 s, scenarios 1,4,5',
    'B: 2026-11-30T09:00:00.000Z, commit fedcba9876 + uncommitted changes, quick, scenarios 1,4,5,7 (busy)',
    'settings differ: quick false → true, durationS 10 → 1, warmupS 3 → 0.5, rounds 3 → 1, trials 200 → 20, distinctTokens 100000 → 30000, revokedSessions 1000000 → 50000, soakS 60 → 3',
    '',
    'row  A      B      change  met A → B  target   scenario',
    '1    0.80×  0.84×  +5.0%   yes → yes  ≥ 0.80×  row 1',
    '4    0.50×  0.45×  -10.0%  no → no    ≥ 0.80×  row 4',
    '5a   0.00×  1.00×  —       no → —     ≥ 0.80×  row 5a',
    '6    n/a    —      —       — → —      ≥ 0.80×  row 6',
    '7a   —      0.99×  —       — → —      ≥ 0.80×  row 7a',
    ''
  ].join('\n'))
  t.notMatch(compareResults(a, a), /settings differ/)
  t.match(compareResults({ ...a, commit: null }, a), /^A: 2026-11-30T09:00:00.000Z, no commit recorded,/)
})

t.test('reads results files; anything else is refused with its name', async t => {
  const directory = await mkdtemp(join(tmpdir(), 'bench-compare-'))
  t.teardown(async () => { await rm(directory, { recursive: true }) })
  const good = join(directory, 'a.json')
  await writeFile(good, JSON.stringify(run(true, [])))
  t.same(await readResults(good), run(true, []))
  for (const [name, text] of [['other.json', '{"name":"x"}'], ['null.json', 'null']] as const) {
    await writeFile(join(directory, name), text)
    await t.rejects(readResults(join(directory, name)), { message: `${join(directory, name)} is not a latchkey-bench/1 results file` })
  }
  await t.rejects(readResults(join(directory, 'missing.json')), { code: 'ENOENT' })
})
