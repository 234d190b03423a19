/**
 * `pnpm bench`'s command line: the flags (one table, which the help text is written from), the
 * settings a run derives from them, and where its results go.
 */
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import type { BenchSettings } from './context.js'

interface Flag {
  name: string
  type: 'boolean' | 'string'
  /** How the value is written in the help text, e.g. `=1,7`. */
  value?: string
  help: string
}

const FLAGS: Flag[] = [
  { name: 'quick', type: 'boolean', help: 'every scenario for a few seconds, one round, no thresholds (what CI runs)' },
  { name: 'peers', type: 'boolean', help: 'add scenario 10: Latchkey beside @fastify/jwt and Better Auth (installs bench/peers first)' },
  { name: 'only', type: 'string', value: '=1,7', help: 'run only these scenarios; their results go to a file of their own (below)' },
  { name: 'note', type: 'string', value: '="…"', help: 'a remark written into the results (the machine\'s state, what changed)' },
  { name: 'out', type: 'string', value: '=FILE.md', help: 'write the results to FILE.md and FILE.json instead' },
  { name: 'duration', type: 'string', value: '=S', help: 'seconds per measurement (default 10; 1 with --quick)' },
  { name: 'uv-threadpool', type: 'string', value: '=N', help: 'UV_THREADPOOL_SIZE of the services (default: the core count, at least 2)' },
  { name: 'hash-concurrency', type: 'string', value: '=N', help: 'PASSWORD_HASH_CONCURRENCY of auth (default: cores − 1, at least 1)' },
  { name: 'compare', type: 'boolean', value: ' A.json B.json', help: 'print each row\'s ratio / value in run A and run B, and the change; runs nothing' },
  { name: 'help', type: 'boolean', help: 'this text' }
]

export const USAGE = `usage: pnpm bench [flags]
       pnpm bench --compare A.json B.json

flags:
${FLAGS.map(flag => `  ${`--${flag.name}${flag.value ?? ''}`.padEnd(24)}${flag.help}`).join('\n')}

environment:
  BENCH_CPU_PROF=auth     run that server (auth, users, baseline-auth, baseline-users, …) with
                          --cpu-prof; the profile lands in the run's log directory
  BENCH_SERVER_LOG=error  turn the services' logger on at that level
  DATABASE_URL, REDIS_URL default postgres://postgres@127.0.0.1:5432/test, redis://127.0.0.1:6379

results (Markdown between the generated-section markers, and the same run as JSON beside it):
  full run                BENCHMARKS.md, BENCHMARKS.json
  --only=1,7              bench/results/only-1-7.md, .json (never BENCHMARKS.md)
  --quick                 bench/dist/BENCHMARKS.quick.md, .json
  --quick --only=1,7      bench/dist/only-1-7.quick.md, .json
`

export interface RunOptions {
  quick: boolean
  /** Scenario 10, the peers: only with --peers, never part of a plain full or quick run (absent: no). */
  peers?: boolean
  /** Ascending scenario numbers; undefined: all of them. */
  only: number[] | undefined
  note: string | undefined
  out: string | undefined
  durationS: number | undefined
  uvThreadpoolSize: number | undefined
  passwordHashConcurrency: number | undefined
}

export type Command =
  | { kind: 'run', options: RunOptions }
  | { kind: 'compare', before: string, after: string }
  | { kind: 'help' }
  | { kind: 'usage-error', message: string }

class UsageError extends Error {}

export const PEERS_SCENARIO = 10

function positive (flag: string, text: string | undefined, integer: boolean): number | undefined {
  if (text === undefined) return undefined
  const value = Number(text)
  if (text.trim() === '' || !Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    throw new UsageError(`--${flag} needs a positive ${integer ? 'integer' : 'number'}, not "${text}"`)
  }
  return value
}

function scenarioList (text: string | undefined, known: number[]): number[] | undefined {
  if (text === undefined) return undefined
  const ids = text.split(',').map(part => Number(part.trim()))
  const unknown = text.split(',').filter((_, i) => !known.includes(ids[i] as number))
  if (unknown.length > 0) throw new UsageError(`--only takes scenario numbers among ${known.join(',')}, not "${unknown.join(',')}"`)
  return [...new Set(ids)].sort((a, b) => a - b)
}

/** `argv` without node and the script; `scenarios`: the numbers --only may name. */
export function parseCommand (argv: string[], scenarios: number[]): Command {
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      options: Object.fromEntries(FLAGS.map(flag => [flag.name, { type: flag.type }])),
      allowPositionals: true,
      strict: true
    })
    if (values.help === true) return { kind: 'help' }
    if (values.compare === true) {
      const [before, after, ...rest] = positionals
      if (before === undefined || after === undefined || rest.length > 0) throw new UsageError('--compare takes two JSON results files: A.json B.json')
      return { kind: 'compare', before, after }
    }
    if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0] as string}"`)
    const text = (name: string): string | undefined => values[name] as string | undefined
    const only = scenarioList(text('only'), scenarios)
    if (only?.includes(PEERS_SCENARIO) === true && values.peers !== true) throw new UsageError(`scenario ${PEERS_SCENARIO} runs with --peers`)
    return {
      kind: 'run',
      options: {
        quick: values.quick === true,
        peers: values.peers === true,
        only,
        note: text('note'),
        out: text('out'),
        durationS: positive('duration', text('duration'), false),
        uvThreadpoolSize: positive('uv-threadpool', text('uv-threadpool'), true),
        passwordHashConcurrency: positive('hash-concurrency', text('hash-concurrency'), true)
      }
    }
  } catch (error) {
    // Ours, or node:util's ERR_PARSE_ARGS_* (an unknown flag, a missing value), whose first
    // sentence says it (the second explains `--` for positionals, which the bench takes none of).
    return { kind: 'usage-error', message: (error as Error).message.split(/\.\s/)[0] as string }
  }
}

export function benchSettings (options: RunOptions, cores: number): BenchSettings {
  const { quick } = options
  return {
    quick,
    durationS: options.durationS ?? (quick ? 1 : 10),
    warmupS: quick ? 0.5 : 3,
    rounds: quick ? 1 : 3,
    connections: 100,
    // The levers of scenario 5, by default from the core count: one libuv thread per core, and
    // hashing on all cores but one, so the event loop always has a core (on 2 cores: 2 and 1).
    uvThreadpoolSize: options.uvThreadpoolSize ?? Math.max(2, cores),
    passwordHashConcurrency: options.passwordHashConcurrency ?? Math.max(1, cores - 1),
    trials: quick ? 20 : 200,
    distinctTokens: quick ? 30_000 : 100_000,
    revokedSessions: quick ? 50_000 : 1_000_000,
    soakS: quick ? 3 : 60
  }
}

export interface OutputPaths { markdown: string, json: string }

/**
 * A full run owns BENCHMARKS.md; a partial run (--only) never overwrites it but gets a file named
 * after its scenarios; quick runs go to bench/dist (built, not committed). The JSON sits beside.
 */
export function outputPaths (options: Pick<RunOptions, 'quick' | 'only' | 'out'>, repoRoot: string): OutputPaths {
  const markdown = options.out ?? (() => {
    const directory = options.quick ? join(repoRoot, 'bench', 'dist') : options.only === undefined ? repoRoot : join(repoRoot, 'bench', 'results')
    const name = options.only === undefined ? 'BENCHMARKS' : `only-${options.only.join('-')}`
    return join(directory, `${name}${options.quick ? '.quick' : ''}.md`)
  })()
  return { markdown, json: `${markdown.replace(/\.md$/i, '')}.json` }
}
