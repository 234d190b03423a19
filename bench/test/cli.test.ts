import t from 'tap'
import { join } from 'node:path'
import { benchSettings, outputPaths, parseCommand, USAGE, type RunOptions } from '../src/lib/cli.js'

const SCENARIOS = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
const defaults: RunOptions = {
  quick: false, peers: false, only: undefined, note: undefined, out: undefined, durationS: undefined, uvThreadpoolSize: undefined, passwordHashConcurrency: undefined
}

t.test('--help names every flag and environment variable, and wins over the others', async t => {
  t.same(parseCommand(['--help'], SCENARIOS), { kind: 'help' })
  t.same(parseCommand(['--quick', '--help'], SCENARIOS), { kind: 'help' })
  for (const word of ['--compare', '--quick', '--only=', '--note=', '--out=', '--uv-threadpool=', '--hash-concurrency=', '--duration=', '--help', 'BENCH_CPU_PROF=', 'BENCH_SERVER_LOG=', 'DATABASE_URL']) {
    t.ok(USAGE.includes(word), word)
  }
})

t.test('--compare takes exactly two files and runs nothing', async t => {
  t.same(parseCommand(['--compare', 'a.json', 'b.json'], SCENARIOS), { kind: 'compare', before: 'a.json', after: 'b.json' })
  t.match(parseCommand(['--compare', 'a.json'], SCENARIOS), { kind: 'usage-error', message: '--compare takes two JSON results files: A.json B.json' })
  t.match(parseCommand(['--compare', 'a.json', 'b.json', 'c.json'], SCENARIOS), { kind: 'usage-error' })
})

t.test('no flags: a full run of every scenario', async t => {
  t.same(parseCommand([], SCENARIOS), { kind: 'run', options: defaults })
})

t.test('every flag is read', async t => {
  t.same(parseCommand(['--quick', '--only=7,1,7', '--note=busy', '--out=/tmp/x.md', '--duration=2.5', '--uv-threadpool=4', '--hash-concurrency', '3'], SCENARIOS), {
    kind: 'run',
    options: { quick: true, peers: false, only: [1, 7], note: 'busy', out: '/tmp/x.md', durationS: 2.5, uvThreadpoolSize: 4, passwordHashConcurrency: 3 }
  })
})

t.test('bad command lines are one sentence, never a stack trace', async t => {
  const cases: Array<[string[], RegExp]> = [
    [['--fast'], /^Unknown option '--fast'$/],
    [['--only'], /--only/],
    [['--only=1,12'], /--only takes scenario numbers among 1,2,3,4,5,6,7,8,9,10, not "12"/],
    [['--only=one'], /not "one"/],
    [['--duration=0'], /--duration needs a positive number, not "0"/],
    [['--duration='], /--duration needs a positive number/],
    [['--uv-threadpool=1.5'], /--uv-threadpool needs a positive integer, not "1.5"/],
    [['--hash-concurrency=-1'], /--hash-concurrency needs a positive integer/],
    [['quick'], /unexpected argument "quick"/]
  ]
  for (const [argv, message] of cases) {
    const command = parseCommand(argv, SCENARIOS)
    t.equal(command.kind, 'usage-error', argv.join(' '))
    if (command.kind === 'usage-error') {
      t.match(command.message, message)
      t.notMatch(command.message, /\n/)
    }
  }
})

t.test('settings: full, quick, and the levers from the core count unless given', async t => {
  const full = benchSettings(defaults, 2)
  t.match(full, { quick: false, durationS: 10, warmupS: 3, rounds: 3, uvThreadpoolSize: 2, passwordHashConcurrency: 1, trials: 200, soakS: 60 })
  const quick = benchSettings({ ...defaults, quick: true }, 8)
  t.match(quick, { quick: true, durationS: 1, warmupS: 0.5, rounds: 1, uvThreadpoolSize: 8, passwordHashConcurrency: 7, trials: 20, soakS: 3 })
  t.match(benchSettings({ ...defaults, durationS: 4, uvThreadpoolSize: 3, passwordHashConcurrency: 2 }, 1), { durationS: 4, uvThreadpoolSize: 3, passwordHashConcurrency: 2 })
})

t.test('output paths: a partial run never writes BENCHMARKS.md', async t => {
  const root = '/repo'
  t.same(outputPaths({ quick: false, only: undefined, out: undefined }, root), { markdown: join(root, 'BENCHMARKS.md'), json: join(root, 'BENCHMARKS.json') })
  t.same(outputPaths({ quick: false, only: [1, 7], out: undefined }, root), { markdown: join(root, 'bench/results/only-1-7.md'), json: join(root, 'bench/results/only-1-7.json') })
  t.same(outputPaths({ quick: true, only: undefined, out: undefined }, root), { markdown: join(root, 'bench/dist/BENCHMARKS.quick.md'), json: join(root, 'bench/dist/BENCHMARKS.quick.json') })
  t.same(outputPaths({ quick: true, only: [1], out: undefined }, root), { markdown: join(root, 'bench/dist/only-1.quick.md'), json: join(root, 'bench/dist/only-1.quick.json') })
  t.same(outputPaths({ quick: true, only: [1], out: '/tmp/mine.md' }, root), { markdown: '/tmp/mine.md', json: '/tmp/mine.json' })
  t.same(outputPaths({ quick: false, only: undefined, out: 'results' }, root), { markdown: 'results', json: 'results.json' })
})

t.test('--peers adds scenario 10, which --only may name only with --peers', async t => {
  t.same(parseCommand(['--quick', '--peers', '--only=10'], SCENARIOS), { kind: 'run', options: { ...defaults, quick: true, peers: true, only: [10] } })
  t.same(parseCommand(['--peers'], SCENARIOS), { kind: 'run', options: { ...defaults, peers: true } })
  t.same(parseCommand(['--only=10'], SCENARIOS), { kind: 'usage-error', message: 'scenario 10 runs with --peers' })
  t.ok(USAGE.includes('--peers'))
})
