/**
 * References between tasks: found in a task's inputs (`${id}`, `${id.field.0}`), and filled in
 * with the results once they are known.
 */

/** `${id}` or `${id.path.to.field}`: an id, then dotted fields or indexes. */
const REFERENCE = /\$\{([A-Za-z0-9_-]+)((?:\.[A-Za-z0-9_-]+)*)\}/g
const WHOLE = /^\$\{([A-Za-z0-9_-]+)((?:\.[A-Za-z0-9_-]+)*)\}$/

/** One reference: the task it names and the fields below its result. */
export interface Reference {
  /** As written, `${lisbon.population}`. */
  text: string
  task: string
  fields: string[]
  /** Where in the inputs: `args.q`, `task`. */
  at: string
}

/** Every reference in a task's inputs, with where it is. */
export function referencesIn(value: unknown, at: string): Reference[] {
  const found: Reference[] = []
  walk(value, at, (text, where) => {
    for (const match of text.matchAll(REFERENCE))
      found.push({
        text: match[0],
        task: match[1]!,
        fields: match[2] ? match[2].slice(1).split('.') : [],
        at: where,
      })
  })
  return found
}

/** Whether `text` is nothing but one reference (`${id}`, `${id.field}`): its value replaces it whole. */
export function isWholeReference(text: string): boolean {
  return WHOLE.test(text)
}

/** Anything written `${…}`, to tell references from text that only looks like one. */
const BRACED = /\$\{([^{}]*)\}/g
const LEADING_ID = /^\s*([A-Za-z0-9_-]+)/

/**
 * Text written like a reference to a task whose id is in `ids` that is not one (`${a[0]}`,
 * `${ a.city }`, `${a.}`): left as it is, it would reach the tool as literal text.
 */
export function malformedReferencesIn(
  value: unknown,
  at: string,
  ids: (id: string) => boolean,
): { text: string; task: string; at: string }[] {
  const found: { text: string; task: string; at: string }[] = []
  walk(value, at, (text, where) => {
    if (!text.includes('${')) return
    for (const match of text.matchAll(BRACED)) {
      if (WHOLE.test(match[0])) continue
      const task = LEADING_ID.exec(match[1]!)?.[1]
      if (task !== undefined && ids(task)) found.push({ text: match[0], task, at: where })
    }
  })
  return found
}

function walk(value: unknown, at: string, onString: (text: string, at: string) => void): void {
  if (typeof value === 'string') onString(value, at)
  else if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) walk(item, `${at}[${i}]`, onString)
  } else if (value !== null && typeof value === 'object')
    for (const [key, item] of Object.entries(value)) walk(item, at ? `${at}.${key}` : key, onString)
}

/** A reference that cannot be filled: a field the result does not have. */
export class PlanReferenceError extends Error {}

/** The value a reference names in the results; throws `PlanReferenceError` naming what is missing. */
export function resolveReference(reference: Reference, results: ReadonlyMap<string, unknown>): unknown {
  let value = results.get(reference.task)
  let path = reference.task
  for (const field of reference.fields) {
    const container = value
    const has =
      container !== null &&
      typeof container === 'object' &&
      (Array.isArray(container)
        ? /^\d+$/.test(field) && Number(field) < container.length
        : Object.hasOwn(container, field))
    if (!has) {
      const fields =
        container !== null && typeof container === 'object'
          ? Array.isArray(container)
            ? `it is a list of ${container.length}`
            : `its fields: ${Object.keys(container).join(', ') || 'none'}`
          : `it is ${container === null ? 'null' : typeof container}`
      throw new PlanReferenceError(
        `${reference.text}: the result of ${path} has no field "${field}" (${fields})`,
      )
    }
    value = (container as Record<string, unknown>)[field]
    path = `${path}.${field}`
  }
  return value
}

/** The inputs with every reference replaced by the value it names. */
export function fill(value: unknown, results: ReadonlyMap<string, unknown>): unknown {
  if (typeof value === 'string') {
    const whole = WHOLE.exec(value)
    if (whole) return resolveReference(referenceOf(whole, value), results)
    if (!value.includes('${')) return value
    return value.replace(REFERENCE, (...match) => {
      const found = resolveReference(referenceOf(match as unknown as RegExpExecArray, match[0]), results)
      return typeof found === 'string' ? found : (JSON.stringify(found) ?? 'null')
    })
  }
  if (Array.isArray(value)) return value.map((item) => fill(item, results))
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, fill(item, results)]))
  return value
}

function referenceOf(match: RegExpExecArray, text: string): Reference {
  return { text, task: match[1]!, fields: match[2] ? match[2].slice(1).split('.') : [], at: '' }
}
