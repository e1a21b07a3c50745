// Secrets never reach a transcript. Values are redacted, never serialized text, so that every
// line stays JSON whatever a tool or a model put in it:
// - a field whose name says it holds a secret (`api_key`, `apiKey`, `X-Api-Key`, `authorization`,
//   `password`, `client_secret`, `access_token`...) keeps its name and gets the value "[redacted]",
//   whatever its type;
// - in every string: key shapes (`sk-…`, AWS access key ids), bearer tokens, the values after a
//   secret name in free text (`Authorization: Basic …`, `api_key=…`), the values of the key
//   variables, and, in a string that is itself JSON, all of the above by the same rules.
// Redacting twice changes nothing: a replay redacts what it replays and must find the recording.
import { deeperThan, MAX_DEPTH } from './depth.js'

/** What a redacted value or secret becomes. */
export const REDACTED = '[redacted]'

// A field name that holds a secret (case-insensitive, `-`/`_` or camelCase): matched on the end
// of the name (`openai_api_key`, `dbPassword`, `clientSecret`) or the whole name (`token`).
const SECRET_NAME =
  /(?:api[-_]*key|private[-_]*key|secret[-_]*(?:access[-_]*)?key|secret|passw(?:or)?d|passphrase|authorization|(?:access|refresh|auth|session|security|bearer|id|api)[-_]*token)$|^(?:token|cookie|set-cookie)$/i
const KEY_SHAPE = /\bsk-(?:ant-|proj-)?[A-Za-z0-9_-]{16,}/g
const AWS_KEY_ID = /\b(?:AKIA|ASIA)[A-Z0-9]{16}\b/g
const BEARER = /\b(Bearer\s+)[A-Za-z0-9._~+/-]{12,}=*/gi
// `name: value` / `name=value` / `"name": "value"` in free text, the scheme word kept.
const ASSIGNED =
  /((?:authorization|api[-_]?key|(?:aws[-_]?)?secret[-_]?access[-_]?key|client[-_]?secret|(?:access|refresh)[-_]?token|password|passwd)["']?\s*[:=]\s*["']?(?:(?:Bearer|Basic|Token|Digest)\s+)?)[^\s"'\\,}]+/gi
// Every pattern above, and every secret name, contains one of these: a line that has none of
// them is written as it is, with no walk (most lines). Plain substrings, so that JSON escapes in
// the serialized line cannot hide a match the walk would find in the value.
const MAYBE_SECRET =
  /sk-|bearer|a[ks]ia|authorization|api[-_]*key|private[-_]*key|access[-_]*key|secret|token(?!s)|passw(?:or)?d|passphrase|cookie/i
const SECRET_VARS = ['OPENAI_API_KEY', 'ANTHROPIC_API_KEY']

/** Redacts secrets from values, strings and serialized JSON, the same way every time. */
export interface Redactor {
  /** True when `json` (a value serialized as JSON) might hold something to redact. */
  mayHold(json: string): boolean
  /** A string with its secrets replaced. */
  string(text: string): string
  /** Whether a field of this name holds a secret (its whole value is redacted). */
  secretName(name: string): boolean
}

// The last redactor made, reused while the key variables keep their values: a run makes one
// for its transcript and one per agent for its request hashes, and a request's messages are
// serialized once for both only when the two are the same redactor (see `known-json.ts`).
let last: { key: string; redactor: Redactor } | undefined

/** A redactor for the key variables' values in `env` (read once: a run keeps the one it started with). */
export function redactor(env: Readonly<Record<string, string | undefined>> = process.env): Redactor {
  const values = SECRET_VARS.map((name) => env[name]).filter(
    (value): value is string => !!value && value.length >= 8,
  )
  const key = values.join('\0')
  if (last?.key === key) return last.redactor
  const made = makeRedactor(values)
  last = { key, redactor: made }
  return made
}

function makeRedactor(values: readonly string[]): Redactor {
  // How each value looks inside serialized JSON, for the pre-check on lines.
  const needles = values.map((value) => JSON.stringify(value).slice(1, -1))
  const self: Redactor = {
    // Without key variables set (most runs), the pattern alone.
    mayHold:
      needles.length === 0
        ? (json) => MAYBE_SECRET.test(json)
        : (json) => MAYBE_SECRET.test(json) || needles.some((needle) => json.includes(needle)),
    secretName: (name) => SECRET_NAME.test(name),
    string(text) {
      let out = text
      for (const value of values) if (out.includes(value)) out = out.split(value).join(REDACTED)
      if (!MAYBE_SECRET.test(out)) return out
      const json = jsonText(out, self)
      if (json !== undefined) return json
      return out
        .replace(KEY_SHAPE, 'sk-[redacted]')
        .replace(AWS_KEY_ID, REDACTED)
        .replace(ASSIGNED, `$1${REDACTED}`)
        .replace(BEARER, `$1${REDACTED}`)
    },
  }
  return self
}

/**
 * A string that holds a JSON object or array, redacted as a value; written back (indented if it
 * was) only when something was redacted, so that a tool's JSON text is otherwise kept as it is.
 */
function jsonText(text: string, redact: Redactor): string | undefined {
  const first = text.trimStart()[0]
  if (first !== '{' && first !== '[') return undefined
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return undefined
  }
  // Too deep to be data: left to the text patterns (the same way every time).
  if (deeperThan(value, MAX_DEPTH)) return undefined
  const redacted = JSON.stringify(redactValue(value, redact))
  if (redacted === JSON.stringify(value)) return text
  return text.includes('\n') ? JSON.stringify(JSON.parse(redacted), null, 2) : redacted
}

/**
 * A copy of `value` as JSON.stringify would see it, with secrets redacted, BigInts as strings,
 * cycles as "[Circular]" and containers nested deeper than `maxDepth` as "[too deep]".
 * `depth` is the nesting of `value` itself in the line it will be written to (1: the line).
 */
export function redactValue(value: unknown, redact: Redactor, depth = 1, maxDepth = MAX_DEPTH): unknown {
  const ancestors = new Set<object>()
  const walk = (v: unknown, key: string, level: number): unknown => {
    try {
      return copy(v, key, level)
    } catch {
      // A getter, toJSON or proxy that throws: recording a value must not end the run.
      return UNREADABLE
    }
  }
  const copy = (v: unknown, key: string, level: number): unknown => {
    if (typeof v === 'object' && v !== null && typeof (v as { toJSON?: unknown }).toJSON === 'function')
      v = (v as { toJSON: (key: string) => unknown }).toJSON(key)
    if (v instanceof String || v instanceof Number || v instanceof Boolean) v = v.valueOf()
    if (typeof v === 'string') return redact.string(v)
    if (typeof v === 'bigint') return v.toString()
    if (typeof v !== 'object' || v === null) return v
    if (level > maxDepth) return TOO_DEEP
    if (ancestors.has(v)) return '[Circular]'
    ancestors.add(v)
    try {
      if (Array.isArray(v)) return v.map((item, i) => walk(item, String(i), level + 1))
      // No prototype: a "__proto__" field stays a field.
      const out: Record<string, unknown> = Object.create(null)
      for (const name of Object.keys(v)) {
        let item: unknown
        try {
          item = (v as Record<string, unknown>)[name]
        } catch {
          item = UNREADABLE
        }
        // What JSON leaves out stays out, secret-named or not.
        if (item === undefined || typeof item === 'function' || typeof item === 'symbol') continue
        out[redact.string(name)] = redact.secretName(name) ? REDACTED : walk(item, name, level + 1)
      }
      return out
    } finally {
      ancestors.delete(v)
    }
  }
  return walk(value, '', depth)
}

const TOO_DEEP = '[too deep]'
const UNREADABLE = '[unreadable]'

/** Replaces anything that looks like an API key or bearer token in free text. */
export function redactSecrets(text: string): string {
  return redactor().string(text)
}

/** A function that replaces secrets in free text (error messages, log lines). */
export function secretRedactor(
  env: Readonly<Record<string, string | undefined>> = process.env,
): (text: string) => string {
  return redactor(env).string
}
