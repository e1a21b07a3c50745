import { quoted } from './shown-name.js'

// Headers the transport owns; setting them could only confuse the request (or smuggle a second one).
const FORBIDDEN =
  /^(?:host|connection|content-length|transfer-encoding|upgrade|keep-alive|te|trailer|expect|proxy-.*)$/i
// RFC 9110's token: what a field name may be made of.
const NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/
// Tab is allowed inside a value; a line break would end the header and start another.
// biome-ignore lint/suspicious/noControlCharactersInRegex: these are the characters refused.
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f]/
// Values go on the wire as Latin-1: anything above would be sent as another character.
const NOT_LATIN1 = /[^\t\u0020-\u00ff]/

/**
 * Request headers checked before anything is sent, with lower-case names (so that a model's
 * `User-Agent` replaces the default `user-agent`). Throws an error naming the header and what
 * is wrong with it; a refused value is never repeated, since it may hold a secret.
 */
export function checkedHeaders(headers: Readonly<Record<string, string>>): Record<string, string> {
  const checked: [string, string][] = []
  for (const [name, value] of Object.entries(headers)) {
    if (!NAME.test(name))
      throw new Error(
        `the header name ${quoted(name)} is not valid: letters, digits and !#$%&'*+-.^_\`|~ only`,
      )
    if (FORBIDDEN.test(name)) throw new Error(`the header "${name}" cannot be set`)
    if (CONTROL.test(value))
      throw new Error(`the header "${name}" has a line break or another control character in its value`)
    if (NOT_LATIN1.test(value))
      throw new Error(`the header "${name}" has a character that is not Latin-1 in its value`)
    checked.push([name.toLowerCase(), value])
  }
  // Entries, not assignments: a header named __proto__ must not set the object's prototype.
  return Object.fromEntries(checked)
}
