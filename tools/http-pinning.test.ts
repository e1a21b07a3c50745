/**
 * The connection goes to the address that was checked: `pinned.test` exists only in the mocked
 * lookup below, so the fetch can only reach the local server through that one answer.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { ToolContext } from 'baton'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { httpFetch } from './http-fetch.js'

const lookups: string[] = []

vi.mock('node:dns/promises', async (original) => {
  const actual = await original<typeof import('node:dns/promises')>()
  return {
    ...actual,
    lookup: async (host: string, options: object) => {
      lookups.push(host)
      if (host === 'pinned.test') return [{ address: '127.0.0.1', family: 4 }]
      if (host === 'mixed.test') {
        return [
          { address: '127.0.0.1', family: 4 },
          { address: '93.184.216.34', family: 4 },
        ]
      }
      return actual.lookup(host, options as never)
    },
  }
})

let server: Server
let port: number

beforeAll(async () => {
  server = createServer((req, res) =>
    res.writeHead(200, { 'content-type': 'text/plain' }).end(`you asked ${req.url}`),
  )
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  port = (server.address() as AddressInfo).port
})

afterAll(async () => {
  server.closeAllConnections()
  await new Promise((resolve) => server.close(resolve))
})

const ctx = { signal: new AbortController().signal, progress: () => {} } as unknown as ToolContext

describe('http_fetch pins the connection to the checked address', () => {
  it('looks the host up once and connects to that answer', async () => {
    lookups.length = 0
    const tool = httpFetch({ allowHosts: ['pinned.test'] })
    const result = await tool.run({ url: `http://pinned.test:${port}/page` }, ctx)
    expect(result).toMatchObject({ status: 200, body: 'you asked /page' })
    expect(lookups).toEqual(['pinned.test'])
  })

  it('refuses a host when any of its addresses is refused', async () => {
    const tool = httpFetch()
    await expect(tool.run({ url: `http://mixed.test:${port}/` }, ctx)).rejects.toThrow(
      `refused to fetch http://mixed.test:${port}/: mixed.test resolves to 127.0.0.1, a loopback address`,
    )
  })
})
