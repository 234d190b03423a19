/**
 * deploy/nginx/compose-gateway.conf, the gateway of docker-compose.yml, in a real nginx in front
 * of the built auth service, which trusts X-Forwarded-For from that gateway's address only (as
 * compose's TRUST_PROXY does). nginx connects from 127.0.0.2 here, so the gateway (trusted) and
 * the client (127.0.0.1) have different addresses, as on the compose network.
 */
import t from 'tap'
import { spawn, spawnSync } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { skipWithoutRedis } from '@latchkey/test-support'
import { authEnv, entryOf, findNginx, freePort, isolate, repositoryRoot, spawnService } from './processes.js'

const nginx = findNginx()
if ('missing' in nginx) process.stderr.write(`\n#### compose gateway test SKIPPED: ${nginx.missing} ####\n\n`)

t.test('deploy/nginx/compose-gateway.conf with TRUST_PROXY set to exactly the gateway (ASVS 4.1.3, 15.3.4; RFC 9700 4.13)', {
  skip: 'missing' in nginx ? `SKIPPED: ${nginx.missing}` : await skipWithoutRedis()
}, async t => {
  if ('missing' in nginx) return
  const isolation = await isolate(t)
  const [authPort, gatewayPort] = [await freePort(), await freePort()]
  const auth = await spawnService(t, entryOf('auth'), authEnv(isolation, authPort, { TRUST_PROXY: '127.0.0.2', RATE_LIMIT_IP_MAX: '2' }), { port: authPort })

  // The file as shipped, its addresses pointed at this test's processes, and nginx connecting
  // from the one address the service trusts.
  const example = await readFile(join(repositoryRoot, 'deploy/nginx/compose-gateway.conf'), 'utf8')
  const site = example
    .replace('server auth:3001;', `server 127.0.0.1:${authPort};`)
    .replace('server users:3002;', `server 127.0.0.1:${await freePort()};`)
    .replace('listen 8080;', `listen 127.0.0.1:${gatewayPort};\n    proxy_bind 127.0.0.2;`)
  t.not(site, example)
  const prefix = await mkdtemp(join(tmpdir(), 'latchkey-compose-nginx-'))
  t.teardown(async () => { await rm(prefix, { recursive: true, force: true }) })
  await writeFile(join(prefix, 'site.conf'), site)
  await writeFile(join(prefix, 'nginx.conf'), `
daemon off;
master_process off;
pid ${prefix}/nginx.pid;
error_log ${prefix}/error.log warn;
events { worker_connections 64; }
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
    if (await fetch(`${base}/health/live`).then(response => response.ok, () => false)) break
    await new Promise(resolve => setTimeout(resolve, 20))
  }

  const logIn = async (url: string, headers: Record<string, string> = {}): Promise<number> => (await fetch(`${url}/sessions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ email: `nobody-${randomUUID()}@example.test`, password: 'some wrong password' })
  })).status

  // Through the gateway, X-Forwarded-For values the client makes up (another address, the
  // gateway's own, a list, junk): every one counts against the client's real address.
  const answers = []
  for (const spoof of ['203.0.113.1', '127.0.0.2', '203.0.113.2, 198.51.100.2']) answers.push(await logIn(base, { 'x-forwarded-for': spoof }))
  t.same(answers, [401, 401, 429], 'two wrong log-ins fill the budget of 2; the third is refused, whatever the header says')
  // The gateway named the client, and the service believed it: the client's address (127.0.0.1),
  // not the gateway's (127.0.0.2), holds the spent budget.
  t.equal(await logIn(auth.url), 429, 'a direct request from the same client shares the budget the gateway reported')
})
