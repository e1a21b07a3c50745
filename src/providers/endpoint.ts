import { createHash } from 'node:crypto'
import { type Endpoint, observe } from '../limits/index.js'

/**
 * The endpoint of a provider's calls, for the shared limits: its scopes (the provider name, the
 * model id, the base URL, `key:<rateLimitKey>` when named) and what one pause of its provider
 * holds (the same server and key).
 * The key itself is never kept, only a fingerprint of it.
 */
export function endpointOf(
  provider: string,
  id: string,
  baseURL: string,
  apiKey: string | undefined,
  rateLimitKey: string | undefined,
): Endpoint {
  const base = baseURL.replace(/\/+$/, '')
  const key = apiKey ? createHash('sha256').update(apiKey).digest('hex').slice(0, 12) : 'no-key'
  // A pause of a compatible server is that server's: it is named by its URL.
  const name = provider === 'compatible' ? base : provider
  const scopes = rateLimitKey ? [provider, id, base, `key:${rateLimitKey}`] : [provider, id, base]
  return { key: `${provider} ${base} ${key}`, scopes, label: id, name }
}

/**
 * The global `fetch` (what test servers and msw see), telling the shared limits what each
 * response says of the next calls: a 429's `retry-after`, rate-limit headers at zero. A 429 for
 * want of credit (`insufficient_quota`) says nothing of the pace: waiting does not add credit,
 * and the other calls of the key would fail the same way, not faster, so it holds nobody.
 */
export function observingFetch(endpoint: Endpoint): typeof fetch {
  return async (input, init) => {
    const response = await fetch(input, init)
    if (response.status === 429 && (await outOfCredit(response))) return response
    observe(endpoint.key, response.status, (name) => response.headers.get(name))
    return response
  }
}

/** Whether a 429's body says the account is out of credit (read from a copy: the SDK reads the body). */
async function outOfCredit(response: Response): Promise<boolean> {
  try {
    const text = await response.clone().text()
    return /"(?:code|type)"\s*:\s*"insufficient_quota"/.test(text.slice(0, 4_000))
  } catch {
    return false
  }
}
