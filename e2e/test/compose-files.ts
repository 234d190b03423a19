/**
 * docker-compose.yml and its ha override (docker-compose.ha.yml), read the way compose reads them:
 * YAML merge keys (`<<: *sentinel`), `!reset` (drop what the file below set), and an override's
 * environment and depends_on merged key by key into the base service's.
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { parse } from 'yaml'
import { repositoryRoot } from './processes.js'

export interface ComposeService {
  image?: string
  build?: { context: string, dockerfile: string }
  environment?: Record<string, string>
  env_file?: Array<{ path: string, required?: boolean }>
  ports?: string[]
  volumes?: string[]
  command?: string[]
  entrypoint?: string[]
  user?: string
  depends_on?: Record<string, { condition: string }>
  healthcheck?: { test: string[] }
  stop_grace_period?: string
  networks?: { default?: { ipv4_address?: string } }
  profiles?: string[]
}

export interface ComposeFile {
  services: Record<string, ComposeService>
  volumes?: Record<string, unknown>
  networks?: { default?: { ipam?: { config?: Array<{ subnet?: string }> } } }
}

/** What `!reset` stands for until the override is applied. */
const RESET = Symbol('!reset')

export async function readComposeFile (path: string): Promise<{ text: string, file: ComposeFile }> {
  const text = await readFile(join(repositoryRoot, path), 'utf8')
  const file = parse(text, { merge: true, customTags: [{ tag: '!reset', resolve: () => RESET }] }) as ComposeFile
  return { text, file }
}

function mergeMap<T> (base: Record<string, T> | undefined, override: Record<string, T> | undefined): Record<string, T> | undefined {
  if (override === undefined) return base
  const merged = new Map(Object.entries(base ?? {}))
  for (const [key, value] of Object.entries(override)) {
    if (value === RESET) merged.delete(key)
    else merged.set(key, value)
  }
  return Object.fromEntries(merged)
}

/** The services as `docker compose -f base -f override` runs them (the maps this project overrides). */
export function withOverride (base: ComposeFile, override: ComposeFile): Record<string, ComposeService> {
  const services = { ...base.services }
  for (const [name, extra] of Object.entries(override.services)) {
    const service = services[name] ?? {}
    const environment = mergeMap(service.environment, extra.environment)
    const dependsOn = mergeMap(service.depends_on, extra.depends_on)
    services[name] = {
      ...service,
      ...extra,
      ...(environment === undefined ? {} : { environment }),
      ...(dependsOn === undefined ? {} : { depends_on: dependsOn })
    }
  }
  return services
}

/** A compose value with its `${NAME:-default}` replaced by `values[NAME]` (every name must be given). */
export function interpolate (value: string, values: Record<string, string>): string {
  return value.replace(/\$\{([A-Z][A-Z0-9_]*)(:-[^}]*)?\}/g, (_, name: string) => {
    const given = values[name]
    if (given === undefined) throw new Error(`no value for ${name}`)
    return given
  })
}
