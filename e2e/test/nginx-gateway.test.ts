/**
 * deploy/nginx/latchkey-gateway.conf in a real nginx (Debian's, installed here if absent) in front
 * of a tiny upstream API, with the built auth service doing the checking through GET /verify.
 */
import t from 'tap'
import { spawn, spawnSync } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { createServer, type IncomingHttpHeaders } from 'node:http'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { skipWithoutRedis } from '@latchkey/test-support'
import { authEnv, call, entryOf, findNginx, freePort, isolate, repositoryRoot, spawnService } from './processes.js'

const password = 'correct horse battery staple'

const nginx = findNginx()
if ('missing' in nginx) process.stderr.write(`\n#### nginx gateway test SKIPPED: ${nginx.missing} ####\n\n`)

t.test('deploy/nginx/latchkey-gateway.conf (auth_request → GET /verify)', {
  skip: 'missing' in nginx ? `SKIPPED: ${nginx.missing}` : await skipWithoutRedis()
}, async t => {
  if ('missing' in nginx) return
  const isolation = await isolate(t)
  const authPort = await freePort()
  const auth = await spawnService(t, entryOf('auth'), authEnv(isolation, authPort), { port: authPort })

  // The protected API: echoes what the gateway told it about the caller.
  const seen: IncomingHttpHeaders[] = []
  const api = createServer((request, response) => {
    seen.push(request.headers)
    response.setHeader('content-type', 'application/json')
    response.end(JSON.stringify({ subject: request.headers['x-auth-subject'] ?? null, roles: request.headers['x-auth-roles'] ?? null, path: request.url }))
  })
  await new Promise<void>(resolve => { api.listen(0, '127.0.0.1', resolve) })
  t.teardown(async () => { await new Promise(resolve => api.close(resolve)) })
  const apiAddress = api.address()
  const apiPort = typeof apiAddress === 'object' && apiAddress !== null ? apiAddress.port : 0

  // The example file as shipped, with its three addresses pointed at this test's processes.
  const gatewayPort = await freePort()
  const example = await readFile(join(repositoryRoot, 'deploy/nginx/latchkey-gateway.conf'), 'utf8')
  const site = example
    .replace('server 127.0.0.1:3001;', `server 127.0.0.1:${authPort};`)
    .replace('server 127.0.0.1:8080;', `server 127.0.0.1:${apiPort};`)
    .replace('listen 8000;', `listen 127.0.0.1:${gatewayPort};`)
  t.not(site, example)
  const prefix = await mkdtemp(join(tmpdir(), 'latchkey-nginx-'))
  t.teardown(async () => { await rm(prefix, { recursive: true, force: true }) })
  await writeFile(join(prefix, 'site.conf'), site)
  await writeFile(join(prefix, 'nginx.conf'), `
daemon off;
master_process off;
pid ${prefix}/nginx.pid;
error_log ${prefix}/error.log warn;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path ${prefix}/client; proxy_temp_path ${prefix}/proxy; fastcgi_temp_path ${prefix}/fastcgi;
  uwsgi_temp_path ${prefix}/uwsgi; scgi_temp_path ${prefix}/scgi;
  include ${prefix}/site.conf;
}
`)
  const configTest = spawnSync(nginx.binary, ['-t', '-p', prefix, '-c', join(prefix, 'nginx.conf')], { encoding: 'utf8' })
  t.equal(configTest.status, 0, `nginx -t accepts the example: ${configTest.stderr}`)

  const gateway = spawn(nginx.binary, ['-p', prefix, '-c', join(prefix, 'nginx.conf')], { stdio: ['ignore', 'ignore', 'pipe'] })
  const gatewayExited = new Promise(resolve => gateway.once('exit', resolve))
  t.teardown(async () => { gateway.kill('SIGQUIT'); await gatewayExited })
  const base = `http://127.0.0.1:${gatewayPort}`
  for (let i = 0; i < 100; i++) {
    if (await fetch(`${base}/`).then(() => true, () => false)) break
    await new Promise(resolve => setTimeout(resolve, 20))
  }

  const email = `gateway-${randomUUID()}@example.test`
  const created = await call(`${auth.url}/accounts`, 'POST', { body: { email, password, name: 'Gate Keeper' } })
  const session = await call(`${auth.url}/sessions`, 'POST', { body: { email, password } })
  const accountId = String(created.body.id)
  const token = String(session.body.accessToken)
  const through = async (headers: Record<string, string>, path = '/orders/42', method = 'GET') => {
    const response = await fetch(base + path, { method, headers, ...(method === 'POST' ? { body: '{"big":"body"}' } : {}) })
    const text = await response.text()
    return { status: response.status, headers: response.headers, body: text === '' ? {} : JSON.parse(text) as Record<string, unknown> }
  }

  t.test('passes a valid token to the API with X-Auth-Subject, and not the token itself', async t => {
    const before = seen.length
    const response = await through({ authorization: `Bearer ${token}` })
    t.equal(response.status, 200)
    t.same(response.body, { subject: accountId, roles: 'user', path: '/orders/42' })
    t.equal(seen.length, before + 1)
    t.equal(seen.at(-1)?.authorization, undefined, 'the token stays at the gateway')
    t.equal(seen.at(-1)?.['x-auth-session'], String(session.body.sessionId))
    const post = await through({ authorization: `Bearer ${token}`, 'content-type': 'application/json' }, '/orders', 'POST')
    t.equal(post.status, 200, 'a request with a body is checked too')
  })

  t.test('answers 401 without a token, and a forged X-Auth-Subject never reaches the API', async t => {
    const before = seen.length
    const response = await through({ 'x-auth-subject': accountId, 'x-auth-roles': 'admin' })
    t.equal(response.status, 401)
    t.equal(response.headers.get('content-type'), 'application/problem+json')
    t.equal(response.body.code, 'unauthorized')
    t.match(response.headers.get('www-authenticate'), /^Bearer/)
    t.equal(seen.length, before, 'the API was not called')
    const forged = await through({ authorization: `Bearer ${token}`, 'x-auth-subject': randomUUID(), 'x-auth-roles': 'admin' })
    t.same(forged.body, { subject: accountId, roles: 'user', path: '/orders/42' }, 'the verified identity replaces the forged one')
  })

  t.test('answers 401 to a garbage token', async t => {
    const before = seen.length
    t.equal((await through({ authorization: 'Bearer not.a.token' })).status, 401)
    t.equal(seen.length, before)
  })

  t.test('answers 401 to a token once it is revoked (logged out)', async t => {
    t.equal((await call(`${auth.url}/sessions/current`, 'DELETE', { token })).status, 204)
    const before = seen.length
    const response = await through({ authorization: `Bearer ${token}` })
    t.equal(response.status, 401)
    t.match(response.headers.get('www-authenticate'), /error="invalid_token"/)
    t.equal(seen.length, before, 'the API was not called')
  })
})
