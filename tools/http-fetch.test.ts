import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { gzipSync } from 'node:zlib'
import type { Tool } from 'baton'
import { BatonError } from 'baton'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { toolContext } from '../test/tool-context.js'
import { type HttpFetchInput, type HttpFetchOptions, type HttpFetchResult, httpFetch } from './http-fetch.js'
import { pinnedLookup } from './http-guard.js'

let server: Server
let port: number
/** http://127.0.0.1:<port> */
let local: string
const progress: unknown[] = []

const routes: Record<string, (req: IncomingMessage, res: ServerResponse) => void> = {
  '/text': (_req, res) => res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end('hello'),
  '/json': (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"city":"Lisbon"}'),
  '/big': (_req, res) =>
    res
      .writeHead(200, { 'content-type': 'text/plain', 'content-length': '3000' })
      .end('abcdefghij'.repeat(300)),
  '/big-gzip': (_req, res) =>
    res.writeHead(200, { 'content-encoding': 'gzip' }).end(gzipSync('0123456789'.repeat(10_000))),
  '/png': (_req, res) =>
    res
      .writeHead(200, { 'content-type': 'image/png', 'content-length': '8' })
      .end(Buffer.from([137, 80, 78, 71, 0, 0, 0, 0])),
  '/utf8': (_req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end('aéé'),
  '/octets': (_req, res) => res.writeHead(200).end(Buffer.from([1, 2, 0, 3, 4, 0, 5])),
  '/gzip': (_req, res) =>
    res
      .writeHead(200, { 'content-type': 'text/plain', 'content-encoding': 'gzip' })
      .end(gzipSync('unzipped text')),
  '/echo': (req, res) =>
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(req.headers)),
  '/slow': () => {}, // never answers
  '/stall': (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' })
    res.write('first part')
  },
  '/loop': (_req, res) => res.writeHead(302, { location: '/loop' }).end(),
  '/redirect': (req, res) => {
    const to = new URL(req.url ?? '/', 'http://x').searchParams.get('to') ?? '/text'
    res.writeHead(301, { location: to }).end()
  },
}

beforeAll(async () => {
  server = createServer((req, res) => {
    const route = routes[new URL(req.url ?? '/', 'http://x').pathname]
    if (route) route(req, res)
    else res.writeHead(404).end('not found')
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  port = (server.address() as AddressInfo).port
  local = `http://127.0.0.1:${port}`
})

afterAll(async () => {
  server.closeAllConnections()
  await new Promise((resolve) => server.close(resolve))
})

const context = (signal?: AbortSignal) => toolContext(signal, progress)

async function fetchWith(
  options: HttpFetchOptions,
  input: HttpFetchInput,
  signal?: AbortSignal,
): Promise<HttpFetchResult> {
  const tool: Tool = httpFetch(options)
  return (await tool.run(input, context(signal))) as HttpFetchResult
}

describe('http_fetch refuses addresses that are not public, by default', () => {
  it.each([
    ['http://127.0.0.1:PORT/text', '127.0.0.1 is a loopback address'],
    ['http://localhost:PORT/text', /localhost resolves to (127\.0\.0\.1|::1), a loopback address/],
    ['http://[::1]:PORT/text', '::1 is a loopback address'],
    ['http://2130706433:PORT/text', '127.0.0.1 is a loopback address'],
    ['http://0x7f.1:PORT/text', '127.0.0.1 is a loopback address'],
    ['http://[::ffff:127.0.0.1]:PORT/text', '::ffff:7f00:1 is a loopback IPv4 address in IPv6 form'],
    ['http://10.0.0.8/', '10.0.0.8 is a private address'],
    ['http://172.20.1.1/', '172.20.1.1 is a private address'],
    ['http://192.168.0.1/admin', '192.168.0.1 is a private address'],
    ['http://[fd00::1]/', 'fd00::1 is a private (unique local) address'],
    ['http://169.254.169.254/latest/meta-data/', '169.254.169.254 is a link-local address'],
    ['http://[fe80::1]/', 'fe80::1 is a link-local address'],
    ['http://[::ffff:169.254.169.254]/', '::ffff:a9fe:a9fe is a link-local IPv4 address in IPv6 form'],
    ['http://0.0.0.0:PORT/', '0.0.0.0 is an unspecified ("this network") address'],
    ['http://[::]:PORT/', ':: is an unspecified address'],
    ['http://100.64.1.1/', '100.64.1.1 is a shared (carrier-grade NAT) address'],
  ])('%s', async (url, reason) => {
    const fetching = fetchWith({}, { url: url.replace('PORT', String(port)) })
    await expect(fetching).rejects.toThrow(/^refused to fetch http:\/\//)
    await expect(fetching).rejects.toThrow(reason)
  })

  it('says how a developer can permit it', async () => {
    await expect(fetchWith({}, { url: `${local}/text` })).rejects.toThrow(/allowPrivate or allowHosts/)
  })
})

describe('http_fetch with private addresses allowed', () => {
  it('fetches from a local server with allowPrivate', async () => {
    const result = await fetchWith({ allowPrivate: true }, { url: `${local}/text#fragment` })
    expect(result).toEqual({
      url: `${local}/text`,
      status: 200,
      headers: { 'content-type': 'text/plain; charset=utf-8' },
      contentType: 'text/plain; charset=utf-8',
      body: 'hello',
      truncated: false,
    })
  })

  it('fetches from a host named in allowHosts (localhost resolves to loopback)', async () => {
    const result = await fetchWith({ allowHosts: ['LOCALHOST'] }, { url: `http://localhost:${port}/json` })
    expect(result).toMatchObject({ status: 200, contentType: 'application/json', body: '{"city":"Lisbon"}' })
  })

  it('allowHosts matches IP literals in any spelling, and *.domain covers subdomains only', async () => {
    const ok = await fetchWith({ allowHosts: ['127.000.000.001'] }, { url: `${local}/text` })
    expect(ok.body).toBe('hello')
    const wildcard = httpFetch({ allowHosts: ['*.localhost'] })
    await expect(wildcard.run({ url: `http://localhost:${port}/text` }, context())).rejects.toThrow(/refused/)
  })

  it('returns statuses as they are (a 404 is a result, not an error)', async () => {
    const result = await fetchWith({ allowPrivate: true }, { url: `${local}/missing` })
    expect(result).toMatchObject({ status: 404, body: 'not found' })
  })

  it('HEAD returns no body', async () => {
    const result = await fetchWith({ allowPrivate: true }, { url: `${local}/text`, method: 'HEAD' })
    expect(result).toMatchObject({ status: 200, body: '', truncated: false })
  })
})

describe('http_fetch redirects', () => {
  it('follows redirects and reports the final URL', async () => {
    progress.length = 0
    const result = await fetchWith(
      { allowHosts: ['localhost'] },
      { url: `http://localhost:${port}/redirect?to=/json` },
    )
    expect(result).toMatchObject({
      url: `http://localhost:${port}/json`,
      status: 200,
      body: '{"city":"Lisbon"}',
    })
    expect(progress).toEqual([
      {
        redirect: {
          from: `http://localhost:${port}/redirect?to=/json`,
          to: `http://localhost:${port}/json`,
          status: 301,
        },
      },
    ])
  })

  it('re-checks every hop: a redirect from an allowed host to a refused address is refused', async () => {
    const to = encodeURIComponent(`http://127.0.0.1:${port}/text`)
    await expect(
      fetchWith({ allowHosts: ['localhost'] }, { url: `http://localhost:${port}/redirect?to=${to}` }),
    ).rejects.toThrow(`refused to fetch http://127.0.0.1:${port}/text: 127.0.0.1 is a loopback address`)
    const metadata = encodeURIComponent('http://169.254.169.254/latest/meta-data/')
    await expect(
      fetchWith({ allowHosts: ['localhost'] }, { url: `http://localhost:${port}/redirect?to=${metadata}` }),
    ).rejects.toThrow('169.254.169.254 is a link-local address')
  })

  it('refuses a redirect to another scheme', async () => {
    const to = encodeURIComponent('file:///etc/passwd')
    await expect(fetchWith({ allowPrivate: true }, { url: `${local}/redirect?to=${to}` })).rejects.toThrow(
      `only http: and https: URLs can be fetched, got file: (a redirect from ${local}/redirect?to=${to} to file:///etc/passwd)`,
    )
  })

  it('stops after maxRedirects (default 5)', async () => {
    await expect(fetchWith({ allowPrivate: true }, { url: `${local}/loop` })).rejects.toThrow(
      `too many redirects: ${local}/loop redirects again after 5 redirects`,
    )
    await expect(
      fetchWith({ allowPrivate: true, maxRedirects: 0 }, { url: `${local}/loop` }),
    ).rejects.toThrow(/after 0 redirects/)
  })

  it('drops credentials when a redirect leaves the origin, keeps other headers', async () => {
    const to = encodeURIComponent(`http://localhost:${port}/echo`)
    const result = await fetchWith(
      { allowPrivate: true },
      { url: `${local}/redirect?to=${to}`, headers: { Authorization: 'Bearer secret', 'X-Trace': 'abc' } },
    )
    const seen = JSON.parse(result.body)
    expect(seen).not.toHaveProperty('authorization')
    expect(seen).toMatchObject({ 'x-trace': 'abc' })
  })
})

describe('ports of other protocols', () => {
  it('are not fetched, given by the model or by a redirect, as browsers do not', async () => {
    await expect(fetchWith({ allowPrivate: true }, { url: 'http://127.0.0.1:25/' })).rejects.toThrow(
      'port 25 is for another protocol than HTTP, and is not fetched (http://127.0.0.1:25/)',
    )
    const to = encodeURIComponent('http://127.0.0.1:6667/')
    await expect(fetchWith({ allowPrivate: true }, { url: `${local}/redirect?to=${to}` })).rejects.toThrow(
      /port 6667 is for another protocol than HTTP, and is not fetched \(a redirect from/,
    )
  })
})

describe('credentials', () => {
  it('go only to their origin: not to another the model asks for, nor after a redirect there', async () => {
    const options: HttpFetchOptions = {
      allowPrivate: true,
      credentials: { [local]: { authorization: 'Bearer secret', 'x-api-key': 'k1' } },
    }
    const own = JSON.parse((await fetchWith(options, { url: `${local}/echo` })).body)
    expect(own).toMatchObject({ authorization: 'Bearer secret', 'x-api-key': 'k1' })
    // The same server under another name is another origin.
    const other = `http://localhost:${port}/echo`
    const elsewhere = JSON.parse((await fetchWith(options, { url: other })).body)
    expect(elsewhere).not.toHaveProperty('authorization')
    expect(elsewhere).not.toHaveProperty('x-api-key')
    const redirected = await fetchWith(options, { url: `${local}/redirect?to=${encodeURIComponent(other)}` })
    expect(JSON.parse(redirected.body)).not.toHaveProperty('authorization')
  })

  it.each([
    [
      { headers: { Authorization: 'Bearer secret' } },
      'httpFetch: headers.authorization would be sent to every URL the model asks for',
    ],
    [{ headers: { 'x-api-key': 'k' } }, 'give it for the origins that need it: credentials:'],
    [{ credentials: { 'api.example.com': {} } }, 'credentials: "api.example.com" is not an origin'],
    [
      { credentials: { 'https://api.example.com/v1': {} } },
      'is not an origin; write it as scheme://host[:port]',
    ],
    [{ credentials: { 'https://u:p@api.example.com': {} } }, 'is not an origin'],
    [{ credentials: { 'ftp://api.example.com': {} } }, 'is not an origin'],
    [
      { credentials: { 'https://api.example.com': { authorization: 5 } } },
      'must be an object of header names to string values',
    ],
    [{ credentials: { 'https://api.example.com': { 'x-k': 'a\nb' } } }, 'line break'],
    [{ credentials: [] }, 'credentials must be an object of origins to headers'],
  ])('refuses %j when the tool is made', (options, message) => {
    expect(() => httpFetch(options as HttpFetchOptions)).toThrow(message)
  })
})

describe('http_fetch limits', () => {
  it('cuts the body at maxBytes and says so', async () => {
    const result = await fetchWith({ allowPrivate: true, maxBytes: 1000 }, { url: `${local}/big` })
    expect(result.truncated).toBe(true)
    expect(result.body).toBe(
      `${'abcdefghij'.repeat(100)}\n[truncated: only the first 1,000 bytes of the response are shown; it has 3,000 bytes]`,
    )
  })

  it('counts the limit after decompression (a small gzip cannot become a huge body)', async () => {
    const result = await fetchWith({ allowPrivate: true, maxBytes: 5000 }, { url: `${local}/big-gzip` })
    expect(result.truncated).toBe(true)
    expect(result.body).toMatch(
      /^(0123456789){500}\n\[truncated: only the first 5,000 bytes of the response are shown]$/,
    )
  })

  it('does not cut a character in half', async () => {
    const result = await fetchWith({ allowPrivate: true, maxBytes: 4 }, { url: `${local}/utf8` })
    expect(result.body.startsWith('aé\n[truncated')).toBe(true)
  })

  it('gives up after timeoutMs when no response comes', async () => {
    const started = Date.now()
    await expect(fetchWith({ allowPrivate: true, timeoutMs: 300 }, { url: `${local}/slow` })).rejects.toThrow(
      `no complete response from ${local}/slow within 300 ms`,
    )
    // The server never answers: only the timeout can have ended the fetch, and soon.
    expect(Date.now() - started).toBeLessThan(20_000)
  })

  it('gives up after timeoutMs when the body stalls', async () => {
    await expect(
      fetchWith({ allowPrivate: true, timeoutMs: 300 }, { url: `${local}/stall` }),
    ).rejects.toThrow(/within 300 ms/)
  })

  it('names the URL when the connection fails', async () => {
    const closed = createServer()
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
    const url = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/`
    await new Promise((resolve) => closed.close(resolve))
    await expect(fetchWith({ allowPrivate: true }, { url })).rejects.toThrow(
      `could not fetch ${url}: connect ECONNREFUSED`,
    )
  })

  it('stops when the run stops (ctx.signal)', async () => {
    const controller = new AbortController()
    const fetching = fetchWith({ allowPrivate: true }, { url: `${local}/slow` }, controller.signal)
    setTimeout(() => controller.abort(new Error('run stopped')), 100)
    await expect(fetching).rejects.toThrow('run stopped')
  })
})

describe('http_fetch input', () => {
  it.each([
    ['file:///etc/passwd', 'only http: and https: URLs can be fetched, got file: (file:///etc/passwd)'],
    ['ftp://example.com/file', 'only http: and https: URLs can be fetched, got ftp:'],
    ['data:text/plain,hi', 'only http: and https: URLs can be fetched, got data:'],
    ['javascript:alert(1)', 'got javascript:'],
    ['not a url', 'not a valid URL: "not a url"'],
    ['/relative', 'not a valid URL: "/relative"'],
    ['http://user:pass@example.com/', 'URLs with a user name or password are not fetched'],
  ])('refuses %s', async (url, message) => {
    await expect(fetchWith({}, { url })).rejects.toThrow(message)
  })

  it('refuses headers the transport owns', async () => {
    await expect(
      fetchWith({ allowPrivate: true }, { url: `${local}/text`, headers: { Host: 'x' } }),
    ).rejects.toThrow('the header "Host" cannot be set')
  })

  it('sends a user agent, replaced by the model’s own (any case)', async () => {
    const plain = JSON.parse((await fetchWith({ allowPrivate: true }, { url: `${local}/echo` })).body)
    expect(plain['user-agent']).toMatch(/^baton\/\S+ \(http_fetch\)$/)
    const own = await fetchWith(
      { allowPrivate: true },
      { url: `${local}/echo`, headers: { 'User-Agent': 'me' } },
    )
    expect(JSON.parse(own.body)['user-agent']).toBe('me')
  })
})

describe('http_fetch bodies', () => {
  it('describes binary content instead of dumping it', async () => {
    const png = await fetchWith({ allowPrivate: true }, { url: `${local}/png` })
    expect(png).toMatchObject({
      contentType: 'image/png',
      body: '[binary content (image/png), 8 bytes: not shown]',
    })
    const octets = await fetchWith({ allowPrivate: true }, { url: `${local}/octets` })
    expect(octets.body).toBe('[binary content (no content-type), 7 bytes: not shown]')
  })

  it('decompresses gzip', async () => {
    const result = await fetchWith({ allowPrivate: true }, { url: `${local}/gzip` })
    expect(result.body).toBe('unzipped text')
  })
})

describe('httpFetch options', () => {
  it.each([
    [{ maxBytes: 0 }, 'httpFetch: maxBytes must be a positive number, got 0'],
    [{ timeoutMs: -1 }, 'httpFetch: timeoutMs must be a positive number, got -1'],
    [{ maxRedirects: 1.5 }, 'httpFetch: maxRedirects must be a whole number of 0 or more, got 1.5'],
    [{ allowHosts: ['http://x/'] }, 'httpFetch: allowHosts: not a host name or IP address: "http://x/"'],
    [{ allowHosts: ['*.10.0.0.1'] }, 'httpFetch: allowHosts: not a host name or IP address'],
    [{ allowHosts: ['localhost:3000'] }, 'httpFetch: allowHosts: not a host name or IP address'],
    // A misspelt or mistyped option is refused, never a silent no-op.
    [
      { allowHost: ['example.com'] },
      'httpFetch: unknown option "allowHost" (known: allowPrivate, allowHosts,',
    ],
    [
      { allowHosts: 'example.com' },
      'httpFetch: allowHosts must be an array of host names or IP addresses, got string',
    ],
    [{ allowPrivate: 'true' }, 'httpFetch: allowPrivate must be true or false, got "true"'],
    [{ headers: { 'x-key': 5 } }, 'httpFetch: headers must be an object of header names to string values'],
    [42, 'httpFetch: options must be an object, got number'],
    [null, 'httpFetch: options must be an object, got null'],
  ])('refuses %j', (options, message) => {
    expect(() => httpFetch(options as HttpFetchOptions)).toThrow(BatonError)
    expect(() => httpFetch(options as HttpFetchOptions)).toThrow(message)
  })
})

describe('pinnedLookup', () => {
  const lookup = pinnedLookup(
    new Map([
      [
        'site.test',
        [
          { address: '93.184.216.34', family: 4 },
          { address: '2606:2800:220:1::1', family: 6 },
        ],
      ],
    ]),
  )
  const ask = (host: string, options: { all?: boolean; family?: number }) =>
    new Promise((resolve) => lookup(host, options, (...args) => resolve(args)))

  it('answers only with the checked addresses, in either form net.connect asks for', async () => {
    expect(await ask('site.test', { all: true })).toEqual([
      null,
      [
        { address: '93.184.216.34', family: 4 },
        { address: '2606:2800:220:1::1', family: 6 },
      ],
    ])
    expect(await ask('SITE.test', { family: 6 })).toEqual([null, '2606:2800:220:1::1', 6])
  })

  it('fails for a host that was not checked', async () => {
    const [error] = (await ask('other.test', {})) as [NodeJS.ErrnoException]
    expect(error.code).toBe('ENOTFOUND')
  })
})
