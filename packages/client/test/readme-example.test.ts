/**
 * The README's Client section: its ten-line example runs as pasted (only the two base URLs
 * pointed at this test's services) as a module importing the built package, and the size it
 * states is the size measured now.
 */
import t from 'tap'
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { readFile, rm, writeFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { bundleClient } from './bundle.js'
import { startClientStack } from './helper.js'

const run = promisify(execFile)

async function clientSection (): Promise<string> {
  const readme = await readFile(fileURLToPath(new URL('../../../../README.md', import.meta.url)), 'utf8')
  const section = /\n## Client\n([\s\S]*?)(?=\n## )/.exec(readme)?.[1]
  if (section === undefined) throw new Error('README.md has no "## Client" section')
  return section
}

t.test('the README example works when pasted', async t => {
  const section = await clientSection()
  const example = /```ts\n([\s\S]*?)```/.exec(section)?.[1] ?? ''
  t.ok(example.split('\n').filter(line => line !== '').length <= 10, 'ten lines at most')
  t.ok(example.includes('http://127.0.0.1:3001') && example.includes('http://127.0.0.1:3002'), 'it names pnpm start\'s base URLs')

  const stack = await startClientStack(t)
  const file = fileURLToPath(new URL(`../../readme-example-${randomBytes(4).toString('hex')}.mjs`, import.meta.url))
  t.teardown(async () => { await rm(file, { force: true }) })
  await writeFile(file, example.replaceAll('http://127.0.0.1:3001', stack.authUrl).replaceAll('http://127.0.0.1:3002', stack.usersUrl))
  const { stdout } = await run(process.execPath, [file], { timeout: 60_000 })
  t.match(stdout, /ada@example\.com \[ 'user' \] 1 session/)
  t.equal(stack.auth.count('DELETE', '/sessions/current', 204), 1, 'it logged out at the end')
})

t.test('the README states the size measured now', async t => {
  const stated = /([\d.]+) kB min\+gzip/.exec(await clientSection())?.[1]
  const { gzipped } = await bundleClient()
  t.ok(stated !== undefined && Math.abs(Number(stated) * 1000 - gzipped) <= 150, `README says ${stated ?? '?'} kB, measured ${gzipped} bytes`)
})
