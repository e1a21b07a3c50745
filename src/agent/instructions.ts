import { existsSync, readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { BatonError } from '../errors/index.js'

const PROMPT_FILE = /^[^\n]+\.(md|txt|prompt)$/
const PLACEHOLDER = /\{\{\s*([A-Za-z_][\w.]*)\s*\}\}/g

/**
 * Reads instructions: inline text, or a prompt file path (`prompts/lead.md`, relative to the
 * working directory, or a file URL), with `{{var}}` placeholders filled from `vars`.
 */
export function loadInstructions(
  instructions: string | URL,
  vars: Record<string, unknown> | undefined,
  where: string,
): string {
  let text: string
  if (instructions instanceof URL || PROMPT_FILE.test(instructions)) {
    const path = instructions instanceof URL ? instructions : resolve(instructions)
    if (!existsSync(path)) {
      throw new BatonError(
        'INVALID_DEFINITION',
        `${where}: instructions file ${JSON.stringify(String(instructions))} not found (looked at ${String(path)})`,
      )
    }
    text = readFileSync(path, 'utf8')
  } else {
    text = instructions
  }
  return vars ? fillTemplate(text, vars) : text
}

/**
 * Fills known `{{var}}` placeholders and leaves the others in place. Only the values' own
 * properties count: `{{toString}}` or `{{__proto__}}` is not filled from what objects inherit.
 */
export function fillTemplate(text: string, vars: Record<string, unknown>): string {
  return text.replace(PLACEHOLDER, (whole, name: string) => {
    let value: unknown = vars
    for (const part of name.split('.')) {
      if (typeof value !== 'object' || value === null || !Object.hasOwn(value, part)) return whole
      value = (value as Record<string, unknown>)[part]
    }
    return value === undefined ? whole : typeof value === 'string' ? value : JSON.stringify(value)
  })
}

/**
 * What is wrong with the values given for placeholders, naming the variable (`trip.city`), or
 * undefined. A value is a string or a finite number; a plain object holds values for dotted
 * names (`{{trip.city}}`).
 */
export function varsProblem(
  vars: object,
  prefix = '',
  depth = 0,
): { name: string; problem: string } | undefined {
  for (const name of Object.keys(vars)) {
    const at = `${prefix}${name}`
    const property = Object.getOwnPropertyDescriptor(vars, name)!
    if (!('value' in property)) return { name: at, problem: 'is a getter; give the value itself' }
    const value: unknown = property.value
    if (typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value))) continue
    const proto = typeof value === 'object' && value !== null ? Object.getPrototypeOf(value) : undefined
    if ((proto === Object.prototype || proto === null) && depth < 20) {
      const inner = varsProblem(value as object, `${at}.`, depth + 1)
      if (inner) return inner
      continue
    }
    const shown =
      typeof value === 'number'
        ? String(value)
        : Array.isArray(value)
          ? 'an array'
          : value === null
            ? 'null'
            : typeof value
    return {
      name: at,
      problem: `must be a string or a finite number (or an object of them, for {{${at}.name}}), got ${shown}`,
    }
  }
  return undefined
}

/** The placeholders still open in a text. */
export function openPlaceholders(text: string): string[] {
  return [...new Set([...text.matchAll(PLACEHOLDER)].map((match) => match[1]!))]
}
