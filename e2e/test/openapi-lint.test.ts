import t from 'tap'
import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { startTestStack } from './helper.js'
import { repositoryRoot } from './processes.js'

const run = promisify(execFile)

t.test('both OpenAPI documents pass redocly lint with the recommended rules and no errors', async t => {
  const client = await startTestStack(t)
  const directory = await mkdtemp(join(tmpdir(), 'latchkey-openapi-'))
  t.teardown(async () => { await rm(directory, { recursive: true, force: true }) })
  for (const [name, base] of [['auth', client.auth], ['users', client.users]] as const) {
    const document = await (await fetch(`${base}/docs/json`)).text()
    const file = join(directory, `${name}.json`)
    await writeFile(file, document)
    const result = await run('pnpm', ['exec', 'redocly', 'lint', '--extends', 'recommended', '--format', 'summary', file], { cwd: process.cwd() })
      .then(({ stdout, stderr }) => ({ code: 0, output: stdout + stderr }))
      .catch((caught: unknown) => {
        const error = caught as { code?: number, stdout?: string, stderr?: string }
        return { code: error.code ?? 1, output: `${error.stdout ?? ''}${error.stderr ?? ''}` }
      })
    t.equal(result.code, 0, `${name}: ${result.output.split('\n').filter(line => /error|warning/i.test(line)).slice(0, 20).join(' | ')}`)
  }
})

t.test('both OpenAPI documents claim the license the repository\'s LICENSE file grants', async t => {
  const client = await startTestStack(t)
  const license = await readFile(join(repositoryRoot, 'LICENSE'), 'utf8')
  t.match(license, /^MIT License\n/, 'LICENSE is the MIT license')
  const manifest = JSON.parse(await readFile(join(repositoryRoot, 'package.json'), 'utf8')) as { license?: string }
  t.equal(manifest.license, 'MIT', 'package.json says the same')
  for (const [name, base] of [['auth', client.auth], ['users', client.users]] as const) {
    const document = await (await fetch(`${base}/docs/json`)).json() as { info?: { license?: { name?: string, identifier?: string } } }
    t.same(document.info?.license, { name: 'MIT', identifier: 'MIT' }, name)
  }
})
