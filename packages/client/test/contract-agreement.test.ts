/**
 * The client's route table and types against both services' OpenAPI documents, read from the
 * running apps' /docs/json: every documented operation has a client method and the client calls
 * nothing undocumented; each method's response is the component the document references, its body
 * or query is the schema the document declares, and every component the client types from is the
 * document's component. The client's types are Static types of exactly these schemas.
 */
import t from 'tap'
import { componentSchemas, inputSchemas } from '../src/contract-schemas.js'
import { routes, type Route } from '../src/routes.js'
import { startClientStack } from './helper.js'

type Json = Record<string, unknown>
interface Operation { security?: unknown[], requestBody?: { content: Record<string, { schema: Json }> }, parameters?: Array<{ in: string, name: string, required?: boolean, description?: string, schema: Json }>, responses: Record<string, { content?: Record<string, { schema: Json }> }> }
interface OpenApi { paths: Record<string, Record<string, Operation>>, components: { schemas: Record<string, Json> } }

/**
 * A TypeBox schema as the document carries it: plain JSON, no `$id`, `$ref`s pointing into
 * components, `const` written as a one-value `enum` and a record's catch-all pattern as
 * `additionalProperties` (as @fastify/swagger writes them).
 */
function asDocumented (schema: unknown): unknown {
  const plain: unknown = JSON.parse(JSON.stringify(schema))
  const visit = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(visit)
    if (typeof value !== 'object' || value === null) return value
    return Object.fromEntries(Object.entries(value).filter(([key]) => key !== '$id').map(([key, inner]) =>
      key === '$ref' && typeof inner === 'string'
        ? [key, `#/components/schemas/${inner}`]
        : key === 'const'
          ? ['enum', [inner]]
          : key === 'patternProperties' && typeof inner === 'object' && inner !== null && '^(.*)$' in inner
            ? ['additionalProperties', visit(inner['^(.*)$'])]
            : [key, visit(inner)]))
  }
  return visit(plain)
}

const lineOf = (route: Route): [service: 'auth' | 'users', method: string, path: string] => {
  const service = route.auth === undefined ? 'users' : 'auth'
  const [method, path] = (route[service] ?? '').split(' ') as [string, string]
  return [service, method, path]
}

t.test('the client agrees with both OpenAPI documents', async t => {
  const stack = await startClientStack(t)
  const documents = {
    auth: await (await fetch(`${stack.authUrl}/docs/json`)).json() as OpenApi,
    users: await (await fetch(`${stack.usersUrl}/docs/json`)).json() as OpenApi
  }

  t.test('every documented operation has a client method, and the client calls no undocumented one', async t => {
    const documented = Object.entries(documents).flatMap(([service, document]) => Object.entries(document.paths).flatMap(([path, operations]) =>
      Object.keys(operations).map(method => `${service} ${method.toUpperCase()} ${path}`))).sort()
    const called = Object.values(routes).map(route => lineOf(route).join(' ')).sort()
    t.strictSame(called, documented)
    const client = stack.client()
    for (const name of Object.keys(routes)) t.type((client as unknown as Record<string, unknown>)[name], 'function', `client.${name}`)
  })

  for (const [name, route] of Object.entries(routes) as Array<[string, Route]>) {
    const [service, method, path] = lineOf(route)
    t.test(`${name}: ${service} ${method} ${path}`, async t => {
      const operation = documents[service].paths[path]?.[method.toLowerCase()]
      if (operation === undefined) return t.fail('not documented')
      t.equal(route.open === true, operation.security?.length === 0, 'open exactly when the document requires no token')

      const successes = Object.entries(operation.responses).filter(([status]) => status.startsWith('2'))
      t.ok(successes.length > 0, 'a success status')
      for (const [status, success] of successes) {
        if (route.response === undefined) {
          t.equal(status, '204')
          t.equal(success.content, undefined, 'no body')
        } else {
          t.strictSame(success.content?.['application/json']?.schema, { $ref: `#/components/schemas/${route.response}` }, `${status} answers ${route.response}`)
        }
      }
      if (route.response !== undefined) t.ok(documents[service].components.schemas[route.response], `${route.response} is a component of the ${service} document`)

      const query = (operation.parameters ?? []).filter(parameter => parameter.in === 'query')
      if (route.input !== undefined && method === 'GET') {
        const schema = asDocumented(inputSchemas[route.input]) as { properties: Record<string, Json>, required?: string[] }
        t.strictSame(query.map(parameter => parameter.name).sort(), Object.keys(schema.properties).sort(), 'query parameters')
        for (const parameter of query) {
          const { description, ...expected } = schema.properties[parameter.name] ?? {}
          t.strictSame({ schema: parameter.schema, description: parameter.description, required: parameter.required },
            { schema: expected, description, required: schema.required?.includes(parameter.name) ?? false }, `query ${parameter.name}`)
        }
      } else {
        t.strictSame(query, [], 'no query parameters')
      }
      const body = operation.requestBody?.content['application/json']?.schema
      if (route.input !== undefined && method !== 'GET') t.strictSame(body, asDocumented(inputSchemas[route.input]), `body is ${route.input}`)
      else t.equal(body, undefined, 'no body')
    })
  }

  t.test('every component the client types from is the documented component of that name', async t => {
    for (const [name, schema] of Object.entries(componentSchemas)) {
      t.equal(schema.$id, name, `${name} is the schema whose $id is ${name}`)
      const documented = [documents.auth, documents.users].map(document => document.components.schemas[name]).filter(found => found !== undefined)
      t.ok(documented.length > 0, `${name} is in a document`)
      for (const found of documented) t.strictSame(found, asDocumented(schema), `${name} as documented`)
    }
  })
})
