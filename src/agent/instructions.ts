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

/** Fills known `{{var}}` placeholders and leaves the others in place. */
export function fillTemplate(text: string, vars: Record<string, unknown>): string {
  return text.replace(PLACEHOLDER, (whole, name: string) => {
    const value = name
      .split('.')
      .reduce<unknown>((at, part) => (at as Record<string, unknown> | undefined)?.[part], vars)
    return value === undefined ? whole : typeof value === 'string' ? value : JSON.stringify(value)
  })
}

/** The placeholders still open in a text. */
export function openPlaceholders(text: string): string[] {
  return [...new Set([...text.matchAll(PLACEHOLDER)].map((match) => match[1]!))]
}
