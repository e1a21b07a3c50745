/**
 * Redaction works on values, not on serialized text: a secret-named field loses its value
 * whatever its type, strings lose key shapes, and every line stays JSON. Checked on fixed cases
 * and on generated hostile values (numbers, null, nested objects, arrays, quotes, backslashes,
 * unicode, odd casing), through a recorded run, its replay and its page.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it, onTestFinished, vi } from 'vitest'
import { defineAgent, defineTool, readTranscript, replay, run } from '../src/index.js'
import { scriptedModel } from '../src/testing/index.js'
import { MAX_DEPTH } from '../src/transcript/depth.js'
import { parseTranscript } from '../src/transcript/index.js'
import { REDACTED, redactor, redactValue } from '../src/transcript/redact.js'
import { transcriptJson } from '../src/transcript/transcript-json.js'
import { readViewInput, renderViewHtml } from '../src/view/index.js'

const dir = mkdtempSync(join(tmpdir(), 'baton-redaction-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const ENV = { OPENAI_API_KEY: 'env-openai-value-77f1c2', ANTHROPIC_API_KEY: 'env-anthropic-value-93ab' }
const r = redactor(ENV)
const clean = (value: unknown) => JSON.parse(JSON.stringify(redactValue(value, r)))

describe('a secret-named field', () => {
  const names = [
    'api_key',
    'apiKey',
    'API_KEY',
    'Api-Key',
    'x-api-key',
    'X-API-KEY',
    'openai_api_key',
    'authorization',
    'Authorization',
    'proxy-authorization',
    'password',
    'dbPassword',
    'passwd',
    'secret',
    'clientSecret',
    'client_secret',
    'aws_secret_access_key',
    'AWS_SECRET_ACCESS_KEY',
    'secretKey',
    'private_key',
    'token',
    'Token',
    'access_token',
    'refreshToken',
    'idToken',
    'set-cookie',
    'Cookie',
  ]
  const values: unknown[] = [
    12345,
    0,
    -1.5,
    null,
    true,
    { a: 1 },
    [1, 'two'],
    'plain',
    '',
    { nested: { b: [1] } },
  ]

  it.each(names)('%s: its value becomes "[redacted]" whatever its type', (name) => {
    for (const value of values) {
      expect(clean({ [name]: value, keep: 1 })).toEqual({ [name]: REDACTED, keep: 1 })
      expect(clean([{ deep: { [name]: value } }])).toEqual([{ deep: { [name]: REDACTED } }])
    }
  })

  it.each([
    'inputTokens',
    'maxTokens',
    'tokens',
    'key',
    'keys',
    'nextPageToken',
    'secretary',
    'passage',
    'author',
  ])('%s is not secret-named: its value is kept', (name) => {
    expect(clean({ [name]: 7 })).toEqual({ [name]: 7 })
  })

  it('a memory entry whose key ends with a secret name is written with its value redacted', async () => {
    const keeper = defineTool({
      name: 'keep',
      description: 'Keeps the settings',
      input: { type: 'object' },
      run: (_input, ctx) => {
        ctx.memory.write('service/apiKey', 918273645)
        ctx.memory.write('service/region', 'eu-west-1')
        return 'kept'
      },
    })
    const model = scriptedModel([{ toolCalls: [{ name: 'keep', args: {} }] }, { text: 'done' }])
    const record = join(dir, 'memory.jsonl')
    const result = await run(
      defineAgent({ name: 'keeper', instructions: 'Keep.', model, tools: [keeper] }),
      'Keep',
      {
        record,
      },
    )
    expect(result.memory.find((m) => m.key === 'service/apiKey')?.value).toBe(918273645)
    const writes = readTranscript(record).events.filter((e) => e.type === 'memory.write')
    expect(writes.map((w) => [w.key, w.value])).toEqual([
      ['service/apiKey', REDACTED],
      ['service/region', 'eu-west-1'],
    ])
  })
})

describe('strings', () => {
  it.each([
    ['sk-abcdefghijklmnop0123', 'sk-[redacted]'],
    ['key sk-ant-api03-Zy9xWv8uTs7rQp6oNm5lKj here', 'key sk-[redacted] here'],
    ['sk-proj-Ab3dEf6hIjKlMnOpQrStUvWx', 'sk-[redacted]'],
    ['id AKIAIOSFODNN7EXAMPLE', `id ${REDACTED}`],
    ['temp ASIAY34FZKBOKMUTVV7A.', `temp ${REDACTED}.`],
    ['Authorization: Bearer abcdef123456ghijkl', `Authorization: Bearer ${REDACTED}`],
    ['curl -H "authorization: bearer x"', `curl -H "authorization: bearer ${REDACTED}"`],
    [
      'aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
      `aws_secret_access_key = ${REDACTED}`,
    ],
    ['password: hunter2', `password: ${REDACTED}`],
    [`the key ${ENV.OPENAI_API_KEY}`, `the key ${REDACTED}`],
    [`${ENV.ANTHROPIC_API_KEY}`, REDACTED],
    ['nothing secret here', 'nothing secret here'],
  ])('%j becomes %j', (text, expected) => {
    expect(r.string(text)).toBe(expected)
  })

  it('that hold JSON are redacted as values, and keep their formatting when nothing is secret', () => {
    expect(r.string('{"apiKey": 42, "n": 1}')).toBe(`{"apiKey":"${REDACTED}","n":1}`)
    expect(JSON.parse(r.string(JSON.stringify({ authorization: { a: 1 } }, null, 2)))).toEqual({
      authorization: REDACTED,
    })
    expect(r.string('{ "token count": 3 }')).toBe('{ "token count": 3 }')
  })

  it('in field names are redacted too', () => {
    expect(clean({ 'sk-abcdefghijklmnop0123': 1 })).toEqual({ 'sk-[redacted]': 1 })
  })
})

// ---- generated hostile values ----

/** A small seeded generator, so that a failure names a case that can be run again. */
function generator(seed: number) {
  let s = seed >>> 0
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0
    let t = s
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)]!
  const word = (n: number, chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789') =>
    Array.from({ length: n }, () => pick([...chars])).join('')
  return { next, pick, word }
}

const NAMES = ['api_key', 'apiKey', 'X-Api-Key', 'AUTHORIZATION', 'Password', 'client_secret', 'accessToken']
const ODD = ['note', 'a"b', 'back\\slash', 'ünï', '🙂', '', 'line\nbreak', '__proto__', 'inputTokens', 'key']
const TEXTS = [
  'quote " and \\ backslash',
  'unicode é 🙂 \u2028 \u0000',
  'lone \ud800 surrogate',
  'task-42 in Asia',
]

/** A hostile value, and the secrets in it (none may reach a transcript). */
function hostile(seed: number) {
  const g = generator(seed)
  const secrets: string[] = []
  const secretString = () => {
    const kind = g.pick(['sk', 'ant', 'aws', 'bearer', 'env', 'json'])
    const token = g.word(24)
    if (kind === 'sk') return remember(`sk-${token}`, `sk-${token}`)
    if (kind === 'ant') return remember(`sk-ant-api03-${token}`, token)
    if (kind === 'aws') return remember(`AKIA${g.word(16, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567')}`)
    if (kind === 'bearer') return remember(`Authorization: Bearer ${token}`, token)
    if (kind === 'env') return `${g.pick(TEXTS)} ${ENV.OPENAI_API_KEY}`
    return remember(JSON.stringify({ [g.pick(NAMES)]: `v-${token}` }), `v-${token}`)
  }
  function remember(text: string, secret = text): string {
    secrets.push(secret)
    return text
  }
  const value = (depth: number): unknown => {
    const roll = g.next()
    if (depth > 3 || roll < 0.3) {
      return g.pick<() => unknown>([
        () => Math.floor(g.next() * 1e6),
        () => null,
        () => g.next() < 0.5,
        () => g.pick(TEXTS),
        secretString,
      ])()
    }
    if (roll < 0.5) return Array.from({ length: 1 + Math.floor(g.next() * 3) }, () => value(depth + 1))
    const object: Record<string, unknown> = {}
    for (let i = 0; i < 1 + g.next() * 4; i++) {
      if (g.next() < 0.4) {
        const secret = g.pick([
          7394651827 + i,
          `s3cret-${g.word(12)}`,
          null,
          { inner: `s3cret-${g.word(12)}` },
        ])
        if (typeof secret === 'number' || typeof secret === 'string') secrets.push(String(secret))
        if (typeof secret === 'object' && secret) secrets.push(secret.inner)
        object[g.pick(NAMES)] = secret
      } else object[g.pick(ODD)] = value(depth + 1)
    }
    return object
  }
  return {
    value: value(0),
    args: { input: value(1) },
    task: `Use ${secretString()} and "${g.pick(TEXTS)}"`,
    secrets,
  }
}

describe('generated hostile values', () => {
  const seeds = Array.from({ length: 200 }, (_, i) => i + 1)

  it('redact to a value that serializes, and redacting again changes nothing', () => {
    for (const seed of seeds) {
      const { value, secrets } = hostile(seed)
      const once = transcriptJson(value, r)
      const parsed: unknown = JSON.parse(once)
      expect(transcriptJson(parsed, r), `seed ${seed}`).toBe(once)
      for (const secret of secrets) expect(once.includes(secret), `seed ${seed}: ${secret}`).toBe(false)
    }
  })

  it('are written as they are when the cheap check finds nothing that could be secret', () => {
    let skipped = 0
    for (const seed of seeds) {
      // Without the secret-named fields and key shapes the generator mixes in, most values are plain.
      const { value } = hostile(seed)
      const plain = JSON.parse(JSON.stringify(value, (key, v) => (NAMES.includes(key) ? undefined : v)))
      const text = JSON.stringify(plain)
      if (r.mayHold(text)) continue
      skipped++
      expect(JSON.stringify(redactValue(plain, r)), `seed ${seed}`).toBe(text)
    }
    expect(skipped).toBeGreaterThan(10)
  })

  it('recorded in a run: every line is JSON, nothing secret is written, and it replays and renders', async () => {
    vi.stubEnv('OPENAI_API_KEY', ENV.OPENAI_API_KEY)
    vi.stubEnv('ANTHROPIC_API_KEY', ENV.ANTHROPIC_API_KEY)
    onTestFinished(() => {
      vi.unstubAllEnvs()
    })
    for (const seed of seeds.slice(0, 25)) {
      const { value, args, task, secrets } = hostile(seed)
      const make = (steps: boolean) => {
        const probe = defineTool({
          name: 'probe',
          description: 'Returns what it finds',
          input: { type: 'object' },
          run: (_input, ctx) => {
            ctx.memory.write('found', value)
            return value
          },
        })
        const model = scriptedModel(
          steps ? [{ toolCalls: [{ name: 'probe', args }] }, { text: 'probed' }] : [],
          {
            id: 'scripted:probe',
          },
        )
        return defineAgent({ name: 'prober', instructions: 'Probe.', model, tools: [probe] })
      }
      const record = join(dir, `hostile-${seed}.jsonl`)
      const result = await run(make(true), task, { record })
      expect(result.status, `seed ${seed}`).toBe('done')
      const text = readFileSync(record, 'utf8')
      for (const line of text.trimEnd().split('\n'))
        expect(() => JSON.parse(line), `seed ${seed}`).not.toThrow()
      for (const secret of [...secrets, ENV.OPENAI_API_KEY]) {
        expect(text.includes(JSON.stringify(secret).slice(1, -1)), `seed ${seed}: ${secret} leaked`).toBe(
          false,
        )
      }
      expect(readTranscript(record).events.at(-1)).toMatchObject({ type: 'run.end', status: 'done' })
      const replayed = await replay(record, make(false))
      expect(replayed.divergences, `seed ${seed}`).toEqual([])
      expect({ status: replayed.status, output: replayed.output }).toEqual({
        status: 'done',
        output: 'probed',
      })
      expect(renderViewHtml(readViewInput(record))).toContain('<html')
    }
  }, 60_000)
})

describe('depth', () => {
  /** An array nested `n` deep, built without recursion. */
  const nested = (n: number) => {
    let value: unknown = []
    for (let i = 1; i < n; i++) value = [value]
    return value
  }

  it('a value nested deeper than a reader accepts is cut, and its line reads back', () => {
    for (const n of [MAX_DEPTH, MAX_DEPTH + 1, 100_000]) {
      const line = transcriptJson(
        {
          seq: 1,
          t: 0,
          type: 'tool.call',
          path: 'root/1/tool/c',
          callId: 'c',
          name: 'probe',
          args: nested(n),
        },
        r,
      )
      const header = JSON.stringify({
        type: 'header',
        version: 1,
        runId: 'run_deep',
        startedAt: '2026-01-01T00:00:00.000Z',
        task: 'go deep',
        agent: { name: 'a', model: 'scripted:deep' },
      })
      expect(() => parseTranscript(`${header}\n${line}\n`, 'deep.jsonl'), `nested ${n}`).not.toThrow()
      expect(line.includes('[too deep]'), `nested ${n}`).toBe(n >= MAX_DEPTH)
    }
  })

  it('a run whose tool values nest 100,000 deep and model arguments 1,500 is recorded, read back and replayed', async () => {
    const deep = nested(100_000)
    const make = (play: boolean) => {
      const probe = defineTool({
        name: 'probe',
        description: 'Returns something deep',
        input: { type: 'object' },
        run: (_input, ctx) => {
          ctx.memory.write('deep', deep)
          return deep
        },
      })
      const steps = [{ toolCalls: [{ name: 'probe', args: { deep: nested(1500) } }] }, { text: 'probed' }]
      const model = scriptedModel(play ? steps : [], { id: 'scripted:deep' })
      return defineAgent({ name: 'deep', instructions: 'Probe.', model, tools: [probe] })
    }
    const record = join(dir, 'deep-run.jsonl')
    const result = await run(make(true), 'Probe', { record })
    expect(result.status).toBe('done')
    expect(readTranscript(record).events.some((e) => e.type === 'memory.write')).toBe(true)
    const replayed = await replay(record, make(false))
    expect(replayed.divergences).toEqual([])
    expect(replayed.status).toBe('done')
    expect(renderViewHtml(readViewInput(record))).toContain('<html')
  })

  it('a model whose tool arguments nest 100,000 deep gets its call made, recorded and replayed', async () => {
    const make = (play: boolean) => {
      const probe = defineTool({
        name: 'probe',
        description: 'Takes anything',
        input: { type: 'object' },
        run: () => 'taken',
      })
      const steps = [{ toolCalls: [{ name: 'probe', args: { deep: nested(100_000) } }] }, { text: 'probed' }]
      const model = scriptedModel(play ? steps : [], { id: 'scripted:deep-args' })
      return defineAgent({ name: 'deep', instructions: 'Probe.', model, tools: [probe] })
    }
    // Unrecorded first: the loop's own checks of the arguments (the stall check) must cope alone.
    const plain = await run(make(true), 'Probe')
    expect({ status: plain.status, output: plain.output, calls: plain.usage.toolCalls }).toEqual({
      status: 'done',
      output: 'probed',
      calls: 1,
    })
    const record = join(dir, 'deep-args.jsonl')
    const result = await run(make(true), 'Probe', { record })
    expect(result.status).toBe('done')
    const call = readTranscript(record).events.find((e) => e.type === 'tool.call')
    expect(JSON.stringify(call)).toContain('[too deep]')
    const replayed = await replay(record, make(false))
    expect(replayed.divergences).toEqual([])
    expect(replayed.status).toBe('done')
  })

  it('a value JSON cannot hold (a BigInt, a cycle, a getter that throws) is written, and the run ends as unrecorded', async () => {
    const make = () => {
      const odd: Record<string, unknown> = { big: 10n ** 30n, apiKey: 5n }
      odd.self = odd
      Object.defineProperty(odd, 'boom', {
        enumerable: true,
        get() {
          throw new Error('no')
        },
      })
      const keep = defineTool({
        name: 'keep',
        description: 'Keeps an odd value',
        input: { type: 'object' },
        run: (_input, ctx) => {
          ctx.memory.write('odd', odd)
          return 'kept'
        },
      })
      const model = scriptedModel([{ toolCalls: [{ name: 'keep', args: {} }] }, { text: 'done' }])
      return defineAgent({ name: 'odd', instructions: 'Keep.', model, tools: [keep] })
    }
    const unrecorded = await run(make(), 'Keep')
    const record = join(dir, 'odd.jsonl')
    const recorded = await run(make(), 'Keep', { record })
    expect(recorded.status).toBe(unrecorded.status)
    expect(recorded.status).toBe('done')
    const write = readTranscript(record).events.find((e) => e.type === 'memory.write')
    expect(write).toMatchObject({
      value: { big: String(10n ** 30n), apiKey: REDACTED, self: '[Circular]', boom: '[unreadable]' },
    })
  })
})
