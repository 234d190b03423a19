/**
 * Environment parsing shared by both services: a TypeBox schema of the variables, string values
 * converted to the declared types, defaults applied, and one error naming every bad variable.
 *
 * A variable declared with `secret: true` may instead be given as `<NAME>_FILE`, the path of a
 * file holding its value (Docker and Kubernetes secrets), and its value never appears in an error.
 */
import { readFileSync } from 'node:fs'
import { type Static, type TObject } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'

/** A comma-separated variable (TRUST_PROXY, CORS_ORIGINS, …) as its trimmed, non-empty items. */
export function commaList (value: string | undefined): string[] {
  return (value ?? '').split(',').map(item => item.trim()).filter(item => item !== '')
}

export class ConfigError extends Error {
  constructor (readonly problems: string[]) {
    super(`Invalid configuration:\n  ${problems.join('\n  ')}`)
    this.name = 'ConfigError'
  }
}

/** The file's text without the one line ending an editor or `echo` adds. */
function readSecretFile (path: string): string {
  return readFileSync(path, 'utf8').replace(/\r?\n$/, '')
}

export function parseEnv<T extends TObject> (schema: T, env: Record<string, string | undefined>): Readonly<Static<T>> {
  const input: Record<string, unknown> = {}
  const secrets = new Set<string>()
  const problems: string[] = []
  for (const [key, property] of Object.entries(schema.properties)) {
    const value = env[key]
    const given = value !== undefined && value !== ''
    if ((property as { secret?: unknown }).secret !== true) {
      if (given) input[key] = value
      continue
    }
    secrets.add(key)
    const file = env[`${key}_FILE`]
    if (file === undefined || file === '') {
      if (given) input[key] = value
    } else if (given) {
      problems.push(`${key}, ${key}_FILE: set one of them, not both`)
    } else {
      try {
        const text = readSecretFile(file)
        if (text === '') problems.push(`${key}_FILE: ${file} is empty`)
        else input[key] = text
      } catch (error) {
        // The path is configuration, not the secret; the error code says why it failed.
        problems.push(`${key}_FILE: cannot read ${file} (${(error as { code?: string }).code ?? 'error'})`)
      }
    }
  }
  if (problems.length > 0) throw new ConfigError(problems)
  const converted = Value.Convert(schema, Value.Default(schema, input))
  for (const error of Value.Errors(schema, converted)) {
    const name = error.path.replace(/^\//, '')
    const shown = secrets.has(name) ? '(the value is not shown)' : `(got ${JSON.stringify(input[name] ?? null)})`
    problems.push(`${name === '' ? '(environment)' : name}: ${error.message} ${shown}`)
  }
  if (problems.length > 0) throw new ConfigError(problems)
  return Object.freeze(converted as Static<T>)
}
