/**
 * `pnpm test` after `tsc -b`: every workspace package's own `test` script, two at a time (tap runs
 * a package's files one by one on 2 cores), the slowest packages first. `pnpm -r` starts packages
 * in alphabetical order, which put services/auth, the longest run, last: it then ran alone on one
 * core for minutes while the other stayed idle. Each package's output is printed in one block
 * when it ends, its lines prefixed with the package's folder as `pnpm -r --aggregate-output` did
 * (.ci/run counts tap's `# { total: … }` lines), then how long it took. Every package runs even
 * when one fails; the exit code is 1 if any failed.
 *   node e2e/dist/support/test-packages.js [FOLDER …]   (only the named packages, e.g. services/users)
 */
import { spawn } from 'node:child_process'
import { access, readdir, readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parse } from 'yaml'

/**
 * Started first, in this order: the packages whose tests ran longest when measured (2026-11-30,
 * 2 cores). The other packages follow, those with more test files first. A package whose tests
 * grow long belongs in this list: one started last runs alone while a core stays idle.
 */
const slowestFirst = ['services/auth', 'e2e', 'packages/client', 'services/users', 'packages/fastify-jwt-guard']
const concurrency = 2

const root = fileURLToPath(new URL('../../../', import.meta.url))

interface Workspace { folder: string, testFiles: number }

async function countTestFiles (folder: string): Promise<number> {
  const entries = await readdir(join(root, folder, 'test'), { recursive: true }).catch(() => [])
  return entries.filter(entry => entry.endsWith('.test.ts')).length
}

async function workspacesWithTests (): Promise<Workspace[]> {
  const { packages = [] } = parse(await readFile(join(root, 'pnpm-workspace.yaml'), 'utf8')) as { packages?: string[] }
  const folders: string[] = []
  for (const pattern of packages) {
    if (!pattern.endsWith('/*')) {
      folders.push(pattern)
      continue
    }
    const parent = pattern.slice(0, -2)
    const entries = await readdir(join(root, parent), { withFileTypes: true })
    folders.push(...entries.filter(entry => entry.isDirectory()).map(entry => `${parent}/${entry.name}`))
  }
  const found: Workspace[] = []
  for (const folder of folders) {
    const manifest = await readFile(join(root, folder, 'package.json'), 'utf8').catch(() => undefined)
    if (manifest === undefined) continue
    const { scripts } = JSON.parse(manifest) as { scripts?: Record<string, string> }
    if (scripts?.test !== undefined) found.push({ folder, testFiles: await countTestFiles(folder) })
  }
  const rank = (workspace: Workspace): number => {
    const index = slowestFirst.indexOf(workspace.folder)
    return index === -1 ? slowestFirst.length : index
  }
  return found.sort((a, b) => rank(a) - rank(b) || b.testFiles - a.testFiles || a.folder.localeCompare(b.folder))
}

/**
 * tap runs the tests `tsc -b` compiled into each package's dist/test (their .taprc says why), and
 * `tsc -b` never deletes what it once wrote: a test file renamed or deleted in test/ would still
 * run from dist/test. Its outputs go before the run.
 */
async function removeOrphanedTests (folder: string): Promise<void> {
  const compiled = join(root, folder, 'dist', 'test')
  const entries = await readdir(compiled, { recursive: true }).catch(() => [])
  for (const entry of entries.filter(name => name.endsWith('.test.js'))) {
    const source = join(root, folder, 'test', entry.replace(/\.js$/, '.ts'))
    if (await access(source).then(() => true, () => false)) continue
    const base = join(compiled, entry.replace(/\.js$/, ''))
    await Promise.all(['.js', '.js.map', '.d.ts', '.d.ts.map'].map(async extension => { await rm(base + extension, { force: true }) }))
  }
}

/** Runs `command` in `folder`; resolves to its exit code (null if it could not start) and output. */
async function run (folder: string, command: string[]): Promise<{ code: number | null, output: string }> {
  const output: Buffer[] = []
  const code = await new Promise<number | null>(resolve => {
    const child = spawn(command[0] ?? 'pnpm', command.slice(1), { cwd: join(root, folder), stdio: ['ignore', 'pipe', 'pipe'] })
    child.stdout.on('data', (chunk: Buffer) => output.push(chunk))
    child.stderr.on('data', (chunk: Buffer) => output.push(chunk))
    child.on('error', error => {
      output.push(Buffer.from(`${error.message}\n`))
      resolve(null)
    })
    child.on('close', resolve)
  })
  return { code, output: Buffer.concat(output).toString('utf8') }
}

async function runTests (folder: string): Promise<boolean> {
  const started = performance.now()
  await removeOrphanedTests(folder)
  const { code, output } = await run(folder, ['pnpm', 'test'])
  const seconds = ((performance.now() - started) / 1000).toFixed(1)
  const lines = output.replace(/\n$/, '').split('\n')
  lines.push(code === 0 ? `passed in ${seconds} s` : `failed (exit ${String(code)}) in ${seconds} s`)
  process.stdout.write(lines.map(line => `${folder} test: ${line}\n`).join(''))
  return code === 0
}

const only = process.argv.slice(2)
const queue = (await workspacesWithTests()).filter(workspace => only.length === 0 || only.includes(workspace.folder))
const failed: string[] = []
// Every .taprc lists the same plugins, which differ from tap's default set: tap rebuilds its test
// class when they differ from what it was last built with, and two packages starting at once
// would both rebuild it in the shared node_modules while the other's tests load it. Built once here.
const build = await run(queue[0]?.folder ?? 'e2e', ['pnpm', 'exec', 'tap', 'build'])
if (build.code !== 0) {
  process.stdout.write(build.output)
  failed.push('tap build')
}
await Promise.all(Array.from({ length: concurrency }, async () => {
  for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
    if (!await runTests(next.folder)) failed.push(next.folder)
  }
}))
if (failed.length > 0) {
  console.log(`tests failed in ${failed.join(', ')}`)
  process.exitCode = 1
}
