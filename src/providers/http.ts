import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
let shared: unknown

/**
 * One undici `Agent` for every provider client: pooled keep-alive connections. It is handed to
 * the SDKs as `fetchOptions.dispatcher` of the global `fetch` (which is also what lets test
 * servers and msw see the requests). Loaded on first use.
 */
export function dispatcher(): unknown {
  if (shared === undefined) {
    const { Agent } = require('undici') as { Agent: new (options: object) => unknown }
    shared = new Agent({ keepAliveTimeout: 30_000, keepAliveMaxTimeout: 120_000, connections: 128 })
  }
  return shared
}
