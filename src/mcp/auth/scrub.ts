/**
 * Secrets out of messages. The MCP SDK's OAuth errors can quote an authorization server's whole
 * answer ("Raw body: …") and a resource server's error page; Baton's messages reach events,
 * transcripts and terminals, so every message that passed near a token goes through here.
 */

const REDACTED = '[redacted]'

const FIELDS =
  'access_token|refresh_token|id_token|client_secret|code_verifier|code|assertion|client_assertion|subject_token'

/** `"access_token": "…"`, `refresh_token=…`, `Bearer …`, a PEM key: whatever their value. */
const PATTERNS: readonly [RegExp, string][] = [
  [new RegExp(`("(?:${FIELDS})"\\s*:\\s*)"[^"]*"`, 'gi'), `$1"${REDACTED}"`],
  [new RegExp(`(\\b(?:${FIELDS})=)[^&\\s"']{8,}`, 'gi'), `$1${REDACTED}`],
  [/(\b(?:Bearer|Basic|DPoP)\s+)[A-Za-z0-9._~+/=-]{8,}/g, `$1${REDACTED}`],
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)/g, REDACTED],
]

/** `text` with every known secret, and anything shaped like a credential, replaced. */
export function scrub(text: string, secrets: Iterable<string> = []): string {
  let out = text
  // Longest first, so a secret that contains another is replaced whole.
  const known = [...secrets].filter((s) => s.length >= 4).sort((a, b) => b.length - a.length)
  for (const secret of known) out = out.split(secret).join(REDACTED)
  for (const [pattern, replacement] of PATTERNS) out = out.replace(pattern, replacement)
  return out
}

/**
 * Scrubs an error's message in place, and its causes' (the SDK's errors keep their class, code
 * and status, which callers test): what a caller or a transcript later reads is clean.
 */
export function scrubError<E>(error: E, secrets: Iterable<string>): E {
  const list = [...secrets]
  let current: unknown = error
  for (let depth = 0; depth < 5 && current instanceof Error; depth++) {
    const clean = scrub(current.message, list)
    if (clean !== current.message) {
      try {
        current.message = clean
      } catch {}
    }
    if (typeof current.stack === 'string') {
      try {
        current.stack = scrub(current.stack, list)
      } catch {}
    }
    current = (current as { cause?: unknown }).cause
  }
  return error
}
