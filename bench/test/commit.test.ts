import t from 'tap'
import { execFileSync } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { currentCommit } from '../src/lib/commit.js'

t.test('the commit of a checkout, clean then dirty; none outside one', async t => {
  const directory = await mkdtemp(join(tmpdir(), 'bench-commit-'))
  t.teardown(async () => { await rm(directory, { recursive: true }) })
  t.equal(await currentCommit(directory), undefined)
  const git = (...args: string[]): string => execFileSync('git', ['-c', 'user.name=bench', '-c', 'user.email=bench@example.com', ...args], { cwd: directory, encoding: 'utf8' }).trim()
  git('init', '-q')
  await writeFile(join(directory, 'a.txt'), 'a')
  git('add', 'a.txt')
  git('commit', '-q', '-m', 'a')
  t.same(await currentCommit(directory), { hash: git('rev-parse', 'HEAD'), dirty: false })
  await writeFile(join(directory, 'b.txt'), 'b')
  t.same(await currentCommit(directory), { hash: git('rev-parse', 'HEAD'), dirty: true })
})
