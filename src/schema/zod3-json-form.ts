/**
 * zod 3 types that have no JSON Schema form. zod-to-json-schema still writes something for most
 * of them (a date as a date-time string, a promise as a string, a function as `{}`), which the
 * model then follows and the schema then refuses: every call would fail. Refused at definition.
 */
const NO_JSON_FORM: Readonly<Record<string, string>> = {
  ZodDate: 'a date',
  ZodBigInt: 'a bigint',
  ZodMap: 'a map',
  ZodSet: 'a set',
  ZodFunction: 'a function',
  ZodSymbol: 'a symbol',
  ZodPromise: 'a promise',
  ZodNaN: 'NaN',
}

/** The zod 3 type names refused, as the documentation lists them. */
export const ZOD3_REFUSED = Object.keys(NO_JSON_FORM)

interface Def {
  typeName?: unknown
  coerce?: unknown
  [key: string]: unknown
}

/**
 * The first place in a zod 3 schema that has no JSON Schema form, as a path (`trip.when`,
 * `tags[]`), with what it is; undefined when the whole schema has one. A coerced date or bigint
 * passes: the model sends a string or a number, which the schema turns into one.
 */
export function zod3WithoutJsonForm(schema: unknown): { path: string; what: string } | undefined {
  const seen = new Set<unknown>()
  const walk = (node: unknown, path: string): { path: string; what: string } | undefined => {
    const def = defOf(node)
    if (!def || seen.has(node)) return undefined
    seen.add(node)
    const type = typeof def.typeName === 'string' ? def.typeName : ''
    const what = NO_JSON_FORM[type]
    if (what && !((type === 'ZodDate' || type === 'ZodBigInt') && def.coerce === true))
      return { path: path || '(root)', what }
    const children: [unknown, string][] = []
    if (type === 'ZodObject') {
      const shape = typeof def.shape === 'function' ? (def.shape as () => unknown)() : def.shape
      for (const [key, child] of Object.entries((shape ?? {}) as Record<string, unknown>))
        children.push([child, path ? `${path}.${key}` : key])
      if (defOf(def.catchall)?.typeName !== 'ZodNever') children.push([def.catchall, `${path}[*]`])
    } else if (type === 'ZodLazy' && typeof def.getter === 'function') {
      children.push([(def.getter as () => unknown)(), path])
    } else if (type === 'ZodPipeline') {
      // The model produces what goes in; what comes out is the schema's business.
      children.push([def.in, path])
    } else if (type === 'ZodArray' || type === 'ZodSet') {
      children.push([def.type, `${path}[]`])
    } else if (type === 'ZodRecord' || type === 'ZodMap') {
      children.push([def.keyType, `${path}{key}`], [def.valueType, `${path}[*]`])
    } else if (type === 'ZodTuple') {
      ;(def.items as unknown[]).forEach((item, i) => {
        children.push([item, `${path}[${i}]`])
      })
      children.push([def.rest, `${path}[]`])
    } else {
      // Wrappers and unions: every schema their definition holds, at the same path.
      for (const value of Object.values(def)) {
        if (defOf(value)) children.push([value, path])
        else if (Array.isArray(value)) for (const item of value) children.push([item, path])
        else if (value instanceof Map) for (const item of value.values()) children.push([item, path])
      }
    }
    for (const [child, at] of children) {
      const found = walk(child, at)
      if (found) return found
    }
    return undefined
  }
  return walk(schema, '')
}

function defOf(node: unknown): Def | undefined {
  if (typeof node !== 'object' || node === null) return undefined
  const def = (node as { _def?: unknown })._def
  return typeof def === 'object' && def !== null && typeof (def as Def).typeName === 'string'
    ? (def as Def)
    : undefined
}
