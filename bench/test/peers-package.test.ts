import { execFileSync } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'

const root = new URL('../../../', import.meta.url)
const read = async (path: string): Promise<string> => await readFile(new URL(path, root), 'utf8')

t.test('bench/peers › stays out of the workspace: pnpm lists it as no workspace package, and it is a workspace root of its own', async t => {
  const listed = JSON.parse(execFileSync('pnpm', ['ls', '-r', '--depth', '-1', '--json'], { cwd: fileURLToPath(root), encoding: 'utf8' })) as Array<{ path: string }>
  const paths = listed.map(project => relative(fileURLToPath(root), project.path))
  t.ok(paths.includes('bench'), 'the bench package itself is in the workspace')
  t.notOk(paths.some(path => path.startsWith('bench/peers')), 'bench/peers is not')
  t.match(await read('bench/peers/pnpm-workspace.yaml'), /^packages: \[\]$/m)
})

t.test('bench/peers › every peer is pinned to one version, and the lockfile holds that version', async t => {
  const { dependencies } = JSON.parse(await read('bench/peers/package.json')) as { dependencies: Record<string, string> }
  const lock = await read('bench/peers/pnpm-lock.yaml')
  for (const [name, version] of Object.entries(dependencies)) {
    t.match(version, /^\d+\.\d+\.\d+$/, `${name} is an exact version`)
    const quoted = name.startsWith('@') ? `'${name}'` : name
    t.match(lock, new RegExp(`^ {6}${quoted.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:\\n {8}specifier: ${version}\\n {8}version: ${version}`, 'm'), `${name} ${version} in the lockfile`)
  }
})
