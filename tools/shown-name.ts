/**
 * How a file name is shown to a model: as inside a JSON string, without the quotes. Control
 * characters (C0, DEL, C1), line and paragraph separators and bidirectional controls are escaped
 * (`\n`, `\t`, `\u001b`, …) and a backslash is doubled, so a name with a newline cannot forge a
 * second entry in a listing, nor a name that reorders text look like another. A model that passes
 * a shown name back in JSON arguments gets the real name.
 */
export function shownName(name: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: these are the characters escaped.
  return name.replace(/[\\\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, escapeChar)
}

/** A path the model gave, quoted for an error message (the same escapes, with the quotes). */
export function quoted(path: string): string {
  return `"${shownName(String(path)).replaceAll('"', '\\"')}"`
}

const SHORT: Record<string, string> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' }

function escapeChar(char: string): string {
  return SHORT[char] ?? `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`
}
