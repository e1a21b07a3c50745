import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { BatonError } from 'baton'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { toolContext } from '../test/tool-context.js'
import { type HttpFetchInput, type HttpFetchOptions, httpFetch } from './http-fetch.js'
import { type WorkspaceOptions, workspaceTools } from './workspace.js'

// Headers and options a hostile model, or a developer's slip, hands to http_fetch.
let server: Server
let local: string
let requests = 0

beforeAll(async () => {
  server = createServer((req, res) => {
    requests++
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(req.headers))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  local = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})

afterAll(async () => {
  server.closeAllConnections()
  await new Promise((resolve) => server.close(resolve))
})

const fetchWith = (options: HttpFetchOptions, input: HttpFetchInput) =>
  httpFetch({ allowPrivate: true, ...options }).run(input, toolContext())

describe('headers from the model', () => {
  it.each([
    [
      { 'x-a': 'b\r\nx-injected: 1' },
      'the header "x-a" has a line break or another control character in its value',
    ],
    [
      { authorization: 'Bearer abc\n' },
      'the header "authorization" has a line break or another control character',
    ],
    [{ 'x-a': 'nul\u0000' }, 'the header "x-a" has a line break or another control character'],
    [
      { 'x-a\r\nx-b': 'c' },
      'the header name "x-a\\r\\nx-b" is not valid: letters, digits and !#$%&\'*+-.^_`|~ only',
    ],
    [{ '': 'x' }, 'the header name "" is not valid'],
    [{ ':authority': 'x' }, 'the header name ":authority" is not valid'],
    [{ 'x-a': 'é€' }, 'the header "x-a" has a character that is not Latin-1 in its value'],
  ])('refuses %j before any request is made, and says what is wrong', async (headers, message) => {
    const before = requests
    await expect(fetchWith({}, { url: `${local}/`, headers })).rejects.toThrow(message)
    expect(requests).toBe(before)
  })

  it('a secret in a refused header value is not repeated in the error', async () => {
    await expect(
      fetchWith({}, { url: `${local}/`, headers: { authorization: 'Bearer sk-SECRET\r\n' } }),
    ).rejects.toThrow(expect.objectContaining({ message: expect.not.stringContaining('sk-SECRET') }))
  })
})

describe('httpFetch options a developer may get wrong', () => {
  it.each([
    // A timer cannot hold more: Node would fire it after 1 ms instead.
    [{ timeoutMs: 2 ** 31 }, 'httpFetch: timeoutMs must be at most 2147483647, got 2147483648'],
    [{ timeoutMs: 0.5 }, 'httpFetch: timeoutMs must be a whole number, got 0.5'],
    [{ maxBytes: 0.5 }, 'httpFetch: maxBytes must be a whole number, got 0.5'],
    [
      { maxBytes: 2 ** 53 },
      'httpFetch: maxBytes must be at most 536870888 (the longest string), got 9007199254740992',
    ],
    [
      { headers: { 'x-k': 'a\nb' } },
      'httpFetch: headers: the header "x-k" has a line break or another control character',
    ],
    [{ headers: { 'bad name': 'x' } }, 'httpFetch: headers: the header name "bad name" is not valid'],
    [{ headers: { host: 'internal.example' } }, 'httpFetch: headers: the header "host" cannot be set'],
    [
      { headers: { 'Transfer-Encoding': 'chunked' } },
      'httpFetch: headers: the header "Transfer-Encoding" cannot be set',
    ],
    [{ headers: ['x'] }, 'httpFetch: headers must be an object of header names to string values'],
  ])('refuses %j when the tool is made', (options, message) => {
    expect(() => httpFetch(options as HttpFetchOptions)).toThrow(BatonError)
    expect(() => httpFetch(options as HttpFetchOptions)).toThrow(message)
  })

  it('accepts the largest timeout a timer can hold', async () => {
    const result = await fetchWith({ timeoutMs: 2 ** 31 - 1 }, { url: `${local}/` })
    expect(result).toMatchObject({ status: 200 })
  })
})

describe('workspaceTools limits', () => {
  it.each([
    [{ maxReadBytes: 1.5 }, 'workspaceTools: maxReadBytes must be a whole number, got 1.5'],
    [
      { maxWriteBytes: 2 ** 53 },
      'workspaceTools: maxWriteBytes must be at most 536870888 (the longest string)',
    ],
  ])('refuses %j', (options, message) => {
    const given = { root: '.', ...options } as WorkspaceOptions
    expect(() => workspaceTools(given)).toThrow(BatonError)
    expect(() => workspaceTools(given)).toThrow(message)
  })
})
