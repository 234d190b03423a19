/**
 * Environment parsing shared by both services: a TypeBox schema of the variables, string values
 * converted to the declared types, defaults applied, and one error naming every bad variable.
 */
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

export function parseEnv<T extends TObject> (schema: T, env: Record<string, string | undefined>): Readonly<Static<T>> {
  const input: Record<string, unknown> = {}
  for (const key of Object.keys(schema.properties)) {
    const value = env[key]
    if (value !== undefined && value !== '') input[key] = value
  }
  const converted = Value.Convert(schema, Value.Default(schema, input))
  const problems = [...Value.Errors(schema, converted)].map(error => {
    const name = error.path.replace(/^\//, '')
    return `${name === '' ? '(environment)' : name}: ${error.message} (got ${JSON.stringify(input[name] ?? null)})`
  })
  if (problems.length > 0) throw new ConfigError(problems)
  return Object.freeze(converted as Static<T>)
}
