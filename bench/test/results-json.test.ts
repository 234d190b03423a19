import t from 'tap'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { resultsJson, writeResultsJson } from '../src/lib/results-json.js'
import { benchSettings } from '../src/lib/cli.js'
import type { RunInfo } from '../src/lib/report.js'
import type { ScenarioResult } from '../src/lib/context.js'

const settings = benchSettings({ quick: true, only: [1, 6], note: undefined, out: undefined, durationS: undefined, uvThreadpoolSize: undefined, passwordHashConcurrency: undefined }, 2)
const info: RunInfo = {
  date: new Date('2026-11-30T09:00:00Z'),
  machine: { cpu: 'AMD EPYC', cores: 2, ramGb: 23.5, os: 'Linux 6', node: 'v20.20.2', fastify: '5.12.8', autocannon: '9.0.0' },
  settings,
  postgres: 'PostgreSQL 15.20',
  redis: '7.0.15',
  busyBefore: undefined,
  loadAverages: [1.5, 3, 2],
  elapsedS: 22.6,
  note: 'busy',
  only: [1, 6],
  failures: ['9. soak broke']
}
const results: ScenarioResult[] = [{
  id: 1,
  title: 'GET /verify',
  details: [],
  rows: [{
    scenario: '1. `GET /verify`, hot token',
    measured: '850 req/s',
    baseline: 'bare route 951 req/s',
    value: '0.89×',
    target: '≥ 0.80×',
    cpu: '2.01×',
    met: undefined,
    numbers: { measured: { value: 850.4, unit: 'req/s' }, baseline: { value: 951.2, unit: 'req/s' }, value: { value: 0.894, unit: '×' }, cpu: 2.01 }
  }]
}, {
  id: 6,
  title: 'Revocation propagation',
  details: [],
  rows: [{
    scenario: 'log out at auth → first 401 at users',
    measured: 'p99 n/a',
    baseline: '—',
    value: 'n/a',
    target: 'p99 ≤ 50 ms',
    met: false,
    numbers: { measured: { value: Number.POSITIVE_INFINITY, unit: 'ms' }, value: { value: Number.POSITIVE_INFINITY, unit: 'ms' } }
  }]
}]

t.test('the JSON holds the run, its commit and every row as numbers', async t => {
  const json = resultsJson({ ...info, commit: { hash: 'a'.repeat(40), dirty: true }, scenarios: [1, 6] }, results)
  t.same(json, {
    format: 'latchkey-bench/1',
    date: '2026-11-30T09:00:00.000Z',
    elapsedS: 23,
    commit: { hash: 'a'.repeat(40), dirty: true },
    machine: { cpu: 'AMD EPYC', cores: 2, ramGb: 23.5, os: 'Linux 6' },
    versions: { node: 'v20.20.2', fastify: '5.12.8', autocannon: '9.0.0', postgres: 'PostgreSQL 15.20', redis: '7.0.15' },
    load: { busyBefore: null, loadAverage: { min: 1.5, max: 3 } },
    settings,
    scenarios: [1, 6],
    note: 'busy',
    rows: [{
      id: '1',
      scenario: 1,
      label: '1. `GET /verify`, hot token',
      measured: { text: '850 req/s', value: 850.4, unit: 'req/s' },
      baseline: { text: 'bare route 951 req/s', value: 951.2, unit: 'req/s' },
      value: { text: '0.89×', value: 0.894, unit: '×' },
      target: '≥ 0.80×',
      met: null,
      cpuRatio: 2.01
    }, {
      // No "6." in the label: the scenario's number; a p99 that never converged is null, not Infinity.
      id: '6',
      scenario: 6,
      label: 'log out at auth → first 401 at users',
      measured: { text: 'p99 n/a', value: null, unit: 'ms' },
      baseline: { text: '—', value: null, unit: null },
      value: { text: 'n/a', value: null, unit: 'ms' },
      target: 'p99 ≤ 50 ms',
      met: false,
      cpuRatio: null
    }],
    failures: ['9. soak broke']
  })
  t.equal(resultsJson({ ...info, note: undefined, busyBefore: 0.25, commit: undefined, scenarios: [] }, []).commit, null)
})

t.test('written as JSON that reads back the same, creating its directory', async t => {
  const directory = await mkdtemp(join(tmpdir(), 'bench-json-'))
  t.teardown(async () => { await rm(directory, { recursive: true }) })
  const json = resultsJson({ ...info, commit: undefined, scenarios: [1, 6] }, results)
  const path = join(directory, 'results', 'only-1-6.json')
  await writeResultsJson(path, json)
  t.same(JSON.parse(await readFile(path, 'utf8')), json)
})
