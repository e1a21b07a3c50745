// Secrets never reach a transcript: known key shapes, bearer tokens, the values of
// Authorization / API-key headers whatever their scheme, and the values of the key variables.
const KEY_SHAPE = /\bsk-(?:ant-|proj-)?[A-Za-z0-9_-]{16,}/g
const BEARER = /\b(Bearer\s+)[A-Za-z0-9._~+/-]{12,}=*/gi
const HEADER =
  /((?:authorization|x-api-key|api[-_]key)\\?["']?\s*[:=]\s*\\?["']?(?:(?:Bearer|Basic|Token|Digest)\s+)?)[^\s"'\\,}]+/gi
const MAYBE_SECRET = /sk-|bearer|authorization|api[-_]key/i
const SECRET_VARS = ['OPENAI_API_KEY', 'ANTHROPIC_API_KEY']

/** Returns a function that replaces API keys, bearer tokens and the values of the key variables. */
export function secretRedactor(env: NodeJS.ProcessEnv = process.env): (text: string) => string {
  const values = SECRET_VARS.map((name) => env[name]).filter(
    (value): value is string => !!value && value.length >= 8,
  )
  return (text) => {
    let out = text
    // One cheap test first: this runs on every transcript line, and most lines hold no secret.
    if (MAYBE_SECRET.test(out)) {
      out = out
        .replace(KEY_SHAPE, 'sk-[redacted]')
        .replace(HEADER, '$1[redacted]')
        .replace(BEARER, '$1[redacted]')
    }
    for (const value of values) if (out.includes(value)) out = out.split(value).join('[redacted]')
    return out
  }
}

/** Replaces anything that looks like an API key or bearer token. */
export function redactSecrets(text: string): string {
  return secretRedactor()(text)
}
