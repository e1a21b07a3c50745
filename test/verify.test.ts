/**
 * An audit trail that proves itself: every transcript line is chained to the one before, a
 * signed run's digest is signed as it is written, and `verifyTranscript` / `baton verify` find
 * the first line that was edited, deleted, inserted, moved or appended, a forged signature and
 * a wrong key, each with its line number. Approvals say who decided and when; transcripts
 * written before chains still read, replay and view, and say they are not chained.
 */
import { generateKeyPairSync } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { parseVerifyArgs, verifyCommand } from '../src/cli/verify-command.js'
import { defineAgent, defineTool, readTranscript, replay, resume, run } from '../src/index.js'
import { scriptedModel } from '../src/testing/index.js'
import { lineDigest, splitChain } from '../src/transcript/chain.js'
import { NotATranscript, verifyTranscript } from '../src/transcript/verify.js'
import { parseViewInput, renderViewHtml } from '../src/view/index.js'

const dir = mkdtempSync(join(tmpdir(), 'baton-verify-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
let files = 0
const file = () => join(dir, `run-${files++}.jsonl`)

const keys = generateKeyPairSync('ed25519')
const other = generateKeyPairSync('ed25519')

const lookup = defineTool({
  name: 'lookup',
  description: 'Looks a city up.',
  input: z.object({ city: z.string() }),
  run: ({ city }) => ({ city, population: city.length * 100_000 }),
})

/** The clerk; with `latencyMs`, its steps are written (and signed) one write at a time. */
function agent(latencyMs = 0) {
  return defineAgent({
    name: 'clerk',
    instructions: 'Look the cities up, then answer.',
    model: scriptedModel(
      [
        { toolCalls: [{ name: 'lookup', args: { city: 'Lisbon' } }] },
        { toolCalls: [{ name: 'lookup', args: { city: 'Porto' } }] },
        { text: 'Lisbon is bigger.' },
      ],
      { latencyMs },
    ),
    tools: [lookup],
  })
}

let plain: string
let signed: string
beforeAll(async () => {
  plain = file()
  expect((await run(agent(), 'Which is bigger?', { record: plain })).status).toBe('done')
  signed = file()
  expect((await run(agent(5), 'Which is bigger?', { record: signed, sign: keys.privateKey })).status).toBe(
    'done',
  )
})

/** What `fn` throws (it must throw). */
function thrown(fn: () => unknown): unknown {
  try {
    fn()
  } catch (error) {
    return error
  }
  throw new Error('expected it to throw')
}

const linesOf = (path: string) => readFileSync(path, 'utf8').split('\n').slice(0, -1)
const text = (lines: string[]) => `${lines.join('\n')}\n`
const indexOf = (lines: string[], type: string) =>
  lines.findIndex((line) => line.includes(`"type":"${type}"`))

describe('the chain', () => {
  it('ends every line with its number and a digest over the line before it', () => {
    const lines = linesOf(plain)
    let before = ''
    lines.forEach((line, i) => {
      const chain = splitChain(line)!
      expect(chain.n).toBe(i + 1)
      expect(chain.digest).toBe(lineDigest(before, i + 1, chain.body))
      expect(JSON.parse(chain.body).chain).toBeUndefined()
      before = chain.digest
    })
    const report = verifyTranscript(text(lines))
    expect(report).toMatchObject({
      intact: true,
      chained: true,
      finished: true,
      lines: lines.length,
      agents: 1,
    })
    expect(report.events).toBe(lines.length - 1)
    expect(report.digest).toBe(before)
    expect(readTranscript(plain).digest).toBe(before)
    expect(report.message).toBe(
      `intact: ${lines.length - 1} events, 1 agent, run digest ${before}; not signed`,
    )
  })

  it('covers the stored, redacted text: a secret never in the file is not needed to verify', async () => {
    const secretTool = defineTool({
      name: 'login',
      description: 'Logs in.',
      input: z.object({ password: z.string() }),
      run: () => 'ok',
    })
    const path = file()
    const result = await run(
      defineAgent({
        name: 'clerk',
        instructions: 'Log in.',
        model: scriptedModel([
          { toolCalls: [{ name: 'login', args: { password: 'hunter2' } }] },
          { text: 'in' },
        ]),
        tools: [secretTool],
      }),
      'Log in.',
      { record: path },
    )
    expect(result.status).toBe('done')
    expect(readFileSync(path, 'utf8')).not.toContain('hunter2')
    expect(verifyTranscript(readFileSync(path, 'utf8')).intact).toBe(true)
  })
})

describe('tampering, each found with its line', () => {
  const verdict = (lines: string[], options = {}) => verifyTranscript(text(lines), options)

  it('an edited value', () => {
    const lines = linesOf(plain)
    const at = lines.findIndex((line) => line.includes('"Porto"'))
    lines[at] = lines[at]!.replace('"Porto"', '"Braga"')
    expect(verdict(lines).problem).toEqual({
      line: at + 1,
      kind: 'edited',
      message: `line ${at + 1} was edited: its content does not match its digest`,
    })
    expect(verdict(lines).message).toBe(
      `tampered: line ${at + 1} was edited: its content does not match its digest`,
    )
  })

  it('a deleted line, and several', () => {
    const lines = linesOf(plain)
    const at = indexOf(lines, 'tool.result')
    const one = [...lines.slice(0, at), ...lines.slice(at + 1)]
    expect(verdict(one).problem).toMatchObject({ line: at + 1, kind: 'deleted' })
    expect(verdict(one).problem!.message).toBe(
      `line ${at + 1} was deleted (the line now at ${at + 1} was line ${at + 2})`,
    )
    const three = [...lines.slice(0, at), ...lines.slice(at + 3)]
    expect(verdict(three).problem!.message).toBe(
      `lines ${at + 1} to ${at + 3} were deleted (the line now at ${at + 1} was line ${at + 4})`,
    )
  })

  it('two lines swapped, and a line moved further', () => {
    const lines = linesOf(plain)
    const at = indexOf(lines, 'tool.call')
    const swapped = [...lines]
    ;[swapped[at], swapped[at + 1]] = [swapped[at + 1]!, swapped[at]!]
    expect(verdict(swapped).problem).toEqual({
      line: at + 1,
      kind: 'moved',
      message: `lines ${at + 1} and ${at + 2} were swapped`,
    })
    const moved = [...lines]
    const [taken] = moved.splice(at, 1)
    moved.splice(at + 3, 0, taken!)
    expect(verdict(moved).problem).toMatchObject({
      kind: 'moved',
      message: `line ${at + 1} was moved to line ${at + 4}`,
    })
  })

  it('a line inserted: a copy, a line without a chain, a made-up digest', () => {
    const lines = linesOf(plain)
    const at = indexOf(lines, 'tool.result')
    const copy = [...lines.slice(0, at + 1), lines[at]!, ...lines.slice(at + 1)]
    expect(verdict(copy).problem).toMatchObject({ line: at + 2, kind: 'inserted' })
    const bare = [
      ...lines.slice(0, at),
      '{"seq":99,"t":1,"type":"budget.warning","path":"root","message":"hi"}',
      ...lines.slice(at),
    ]
    expect(verdict(bare).problem).toEqual({
      line: at + 1,
      kind: 'inserted',
      message: `line ${at + 1} was inserted: it has no place in the chain`,
    })
    const forged = `{"seq":99,"t":1,"type":"budget.warning","path":"root","message":"hi","chain":"${at + 1}.${'a'.repeat(64)}"}`
    expect(verdict([...lines.slice(0, at), forged, ...lines.slice(at)]).problem).toMatchObject({
      line: at + 1,
      kind: 'inserted',
    })
  })

  it('a blank line or a line that is not JSON: put in, or in place of a line', () => {
    const lines = linesOf(plain)
    const at = indexOf(lines, 'tool.result')
    expect(verdict([...lines.slice(0, at), '', ...lines.slice(at)]).problem).toEqual({
      line: at + 1,
      kind: 'inserted',
      message: `line ${at + 1} was inserted: it is blank`,
    })
    expect(verdict([...lines.slice(0, at), 'not json', ...lines.slice(at)]).problem).toMatchObject({
      line: at + 1,
      kind: 'inserted',
    })
    const replaced = [...lines]
    replaced[at] = '{"seq":4,"t":0,"type":"tool.result"'
    expect(verdict(replaced).problem).toEqual({
      line: at + 1,
      kind: 'edited',
      message: `line ${at + 1} was edited: it is not JSON`,
    })
    replaced[at] = '[1,2]'
    expect(verdict(replaced).problem).toMatchObject({ line: at + 1, kind: 'edited' })
    // A line number no writer could have written is no place in the chain.
    const huge = [...lines]
    huge[at] = huge[at]!.replace(/"chain":"\d+\./, '"chain":"99999999999999999999.')
    expect(verdict(huge).problem).toMatchObject({ line: at + 1, kind: 'inserted' })
  })

  it('line ends turned into CRLF, a byte-order mark, or bytes instead of text change nothing', () => {
    const whole = readFileSync(plain, 'utf8')
    const intact = verifyTranscript(whole)
    expect(intact.intact).toBe(true)
    for (const given of [whole.replaceAll('\n', '\r\n'), `\uFEFF${whole}`, readFileSync(plain)])
      expect(verifyTranscript(given)).toMatchObject({
        intact: true,
        digest: intact.digest,
        lines: intact.lines,
      })
    // The reader takes the same file.
    const bom = join(dir, 'bom.jsonl')
    writeFileSync(bom, `\uFEFF${whole}`)
    expect(readTranscript(bom).events).toHaveLength(readTranscript(plain).events.length)
  })

  it('a line appended after the end of the run', () => {
    const lines = linesOf(plain)
    const last = splitChain(lines.at(-1)!)!
    const extra = `{"seq":99,"t":1,"type":"budget.warning","path":"root","message":"late"}`
    const n = lines.length + 1
    const appended = [...lines, `${extra.slice(0, -1)},"chain":"${n}.${lineDigest(last.digest, n, extra)}"}`]
    expect(verdict(appended).problem).toEqual({
      line: n,
      kind: 'appended',
      message: `line ${n} was appended after the run's end`,
    })
  })

  it('a truncated file verifies up to its last whole line and says it is unfinished', () => {
    const whole = readFileSync(plain, 'utf8')
    const lines = linesOf(plain)
    const cut = whole.slice(0, whole.length - 30)
    const report = verifyTranscript(cut)
    expect(report).toMatchObject({ intact: true, finished: false, lines: lines.length - 1 })
    expect(report.message).toMatch(
      new RegExp(
        `^intact up to line ${lines.length - 1} \\(.*\\), but unfinished: the run did not end and its last line was cut off; not signed$`,
      ),
    )
    // Cut at a line boundary: whole lines, no run.end.
    expect(verifyTranscript(text(lines.slice(0, -1))).message).toMatch(
      /but unfinished: the run did not end; not signed$/,
    )
  })
})

describe('signatures', () => {
  it('a signed run names its key in the header, never the private key, and verifies with the public one', () => {
    const content = readFileSync(signed, 'utf8')
    const header = readTranscript(signed).header
    expect(header.signer?.keyId).toMatch(/^[0-9a-f]{16}$/)
    const privatePem = keys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()
    const privateDer = keys.privateKey.export({ type: 'pkcs8', format: 'der' }).toString('base64')
    expect(content).not.toContain(privatePem.split('\n')[1]!)
    expect(content).not.toContain(privateDer)
    const unchecked = verifyTranscript(content)
    expect(unchecked.message).toContain(
      `signed by key ${header.signer!.keyId} (give its public key to check the signatures)`,
    )
    const checked = verifyTranscript(content, { publicKey: keys.publicKey })
    expect(checked.intact).toBe(true)
    expect(checked.signer).toMatchObject({
      keyId: header.signer!.keyId,
      checked: true,
      lastSignedLine: checked.lines,
    })
    expect(checked.message).toContain('signatures verified')
  })

  it('a forged signature, and a chain rebuilt without the key, fail at the signed line', () => {
    const lines = linesOf(signed)
    const signedAt = lines.findIndex((line) => splitChain(line)?.signature !== undefined)
    const chain = splitChain(lines[signedAt]!)!
    const forgedSig = Buffer.alloc(64, 7).toString('base64')
    const forged = [...lines]
    forged[signedAt] = `${chain.body.slice(0, -1)},"chain":"${chain.n}.${chain.digest}.${forgedSig}"}`
    expect(verifyTranscript(text(forged), { publicKey: keys.publicKey }).problem).toMatchObject({
      line: signedAt + 1,
      kind: 'signature',
    })
    // Edit a line and rebuild every digest after it: the chain holds, the signatures do not.
    const rebuilt = [...lines]
    const at = rebuilt.findIndex((line) => line.includes('"Porto"'))
    let before = at === 0 ? '' : splitChain(rebuilt[at - 1]!)!.digest
    for (let i = at; i < rebuilt.length; i++) {
      const part = splitChain(rebuilt[i]!)!
      const body = i === at ? part.body.replace('"Porto"', '"Braga"') : part.body
      const digest = lineDigest(before, i + 1, body)
      rebuilt[i] =
        `${body.slice(0, -1)},"chain":"${i + 1}.${digest}${part.signature ? `.${part.signature}` : ''}"}`
      before = digest
    }
    expect(verifyTranscript(text(rebuilt)).intact).toBe(true)
    const caught = verifyTranscript(text(rebuilt), { publicKey: keys.publicKey })
    expect(caught.intact).toBe(false)
    expect(caught.problem!.kind).toBe('signature')
    expect(caught.problem!.line).toBeGreaterThanOrEqual(at + 1)
  })

  it('a wrong key, an unsigned run checked with a key, and signatures stripped', () => {
    expect(
      verifyTranscript(readFileSync(signed, 'utf8'), { publicKey: other.publicKey }).problem,
    ).toMatchObject({
      line: 1,
      kind: 'key',
    })
    expect(
      verifyTranscript(readFileSync(plain, 'utf8'), { publicKey: keys.publicKey }).problem,
    ).toMatchObject({
      line: 1,
      kind: 'unsigned',
    })
    const stripped = linesOf(signed).map((line) =>
      line.replace(/(,"chain":"\d+\.[0-9a-f]{64})\.[A-Za-z0-9+/=]+"\}$/, '$1"}'),
    )
    const report = verifyTranscript(text(stripped), { publicKey: keys.publicKey })
    expect(report.problem).toMatchObject({ kind: 'unsigned' })
    expect(report.message).toMatch(/^tampered: lines 1 to \d+ are not signed, though the run ended/)
  })

  it('takes the key as PEM text, the base64 SPKI a header shows, or a file; refuses anything else, naming it', () => {
    const whole = readFileSync(signed, 'utf8')
    const pem = keys.publicKey.export({ type: 'spki', format: 'pem' }) as string
    const spki = (keys.publicKey.export({ type: 'spki', format: 'der' }) as Buffer).toString('base64')
    const path = join(dir, 'trusted.pub.pem')
    writeFileSync(path, pem)
    for (const publicKey of [pem, spki, path, keys.privateKey])
      expect(verifyTranscript(whole, { publicKey }).signer).toMatchObject({ checked: true })
    const refused = (publicKey: unknown) =>
      thrown(() => verifyTranscript(whole, { publicKey } as { publicKey: string }))
    for (const [given, why] of [
      [42, /options\.publicKey: must be an Ed25519 public key: .*got number/],
      ['', /options\.publicKey: must be an Ed25519 public key: .*got an empty string/],
      [
        join(dir, 'missing.pem'),
        /options\.publicKey: not a public key: cannot read the key file .*missing\.pem/,
      ],
      [
        generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey,
        /must be an Ed25519 public key, got a ec key/,
      ],
    ] as const) {
      const error = refused(given)
      expect(error).toMatchObject({ code: 'INVALID_OPTIONS' })
      expect((error as Error).message).toMatch(why)
    }
    // The key is checked before the file: a bad one is refused even for an unchained transcript.
    expect(thrown(() => verifyTranscript('{"type":"header"}\n', { publicKey: 'x' }))).toMatchObject({
      code: 'INVALID_OPTIONS',
    })
    for (const given of [42, null, { text: whole }])
      expect((thrown(() => verifyTranscript(given as unknown as string)) as Error).message).toMatch(
        /^verifyTranscript: expected the text of a transcript \(a string or a Buffer\), got (number|null|object)$/,
      )
  })

  it('a crashed signed run is signed up to its last write', () => {
    const lines = linesOf(signed)
    // Each step was signed when it was written: more than the end is signed.
    const signedLines = lines.filter((line) => splitChain(line)?.signature !== undefined)
    expect(signedLines.length).toBeGreaterThan(2)
    const lastSigned = lines.findLastIndex(
      (line, i) => i < lines.length - 2 && splitChain(line)?.signature !== undefined,
    )
    expect(lastSigned).toBeGreaterThan(0)
    const crashed = lines.slice(0, lastSigned + 2) // one unsigned line after the last signed one
    const report = verifyTranscript(text(crashed), { publicKey: keys.publicKey })
    expect(report.intact).toBe(true)
    expect(report.finished).toBe(false)
    expect(report.signer!.lastSignedLine).toBe(lastSigned + 1)
    expect(report.message).toContain(`signatures verified up to line ${lastSigned + 1}`)
  })

  it('takes the key from BATON_SIGNING_KEY, and refuses a key that is not Ed25519, saying where it came from', async () => {
    const keyFile = join(dir, 'signing.pem')
    writeFileSync(keyFile, keys.privateKey.export({ type: 'pkcs8', format: 'pem' }))
    const before = process.env.BATON_SIGNING_KEY
    process.env.BATON_SIGNING_KEY = keyFile
    try {
      const path = file()
      await run(agent(), 'Which is bigger?', { record: path })
      expect(
        verifyTranscript(readFileSync(path, 'utf8'), { publicKey: keys.publicKey }).signer?.checked,
      ).toBe(true)
    } finally {
      if (before === undefined) delete process.env.BATON_SIGNING_KEY
      else process.env.BATON_SIGNING_KEY = before
    }
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 })
    const refused = await run(agent(), 'x', { record: file(), sign: rsa.privateKey })
    expect(refused.status).toBe('error')
    expect(refused.error?.code).toBe('INVALID_OPTIONS')
    expect(refused.error?.message).toBe(
      'run: options.sign: the signing key must be an Ed25519 private key, got a rsa key',
    )
    await expect(run(agent(), 'x', { sign: keys.privateKey })).rejects.toThrow(
      'run: options.sign signs the transcript, but there is none: give record too',
    )
    const missing = await run(agent(), 'x', { record: file(), sign: join(dir, 'no-such.pem') })
    expect(missing.error?.message).toMatch(
      /^run: options\.sign: cannot read the key file .*no-such\.pem: ENOENT$/,
    )
  })
})

describe('what comes from a transcript', () => {
  it('replays, resumes and forks write headers naming the digest of the transcript they came from', async () => {
    const path = file()
    await replay(signed, agent(), { record: path })
    expect(readTranscript(path).header.from).toEqual({
      runId: readTranscript(signed).header.runId,
      mode: 'replay',
      digest: verifyTranscript(readFileSync(signed, 'utf8')).digest,
    })
    expect(verifyTranscript(readFileSync(path, 'utf8')).intact).toBe(true)
  })

  it('an old transcript (no chain) still reads, replays and views; verify says it is not chained', async () => {
    const old = 'agents/recordings/research-lead.jsonl'
    const content = readFileSync(old, 'utf8')
    expect(content).not.toContain('"chain":')
    const report = verifyTranscript(content)
    expect(report).toMatchObject({ chained: false, intact: false })
    expect(report.message).toBe(
      'not chained: this transcript was written before Baton chained its lines, so it cannot be verified',
    )
    expect(readTranscript(old).digest).toBeUndefined()
    const html = renderViewHtml(parseViewInput(content, old))
    expect(html).toContain('not chained: this transcript was written before Baton chained its lines')
  })

  it('the viewer says whether the file verified and who signed it', () => {
    const html = renderViewHtml(parseViewInput(readFileSync(signed, 'utf8'), signed))
    expect(html).toContain(`"intact":true`)
    expect(html).toContain(`"keyId":"${readTranscript(signed).header.signer!.keyId}"`)
    const lines = linesOf(signed)
    lines[2] = lines[2]!.replace('"t":', '"t":1')
    const tampered = renderViewHtml(parseViewInput(text(lines), 'tampered.jsonl'))
    expect(tampered).toContain('tampered: line 3 was edited')
  })
})

describe('approvals say who decided and when', () => {
  const guarded = defineTool({
    name: 'pay',
    description: 'Pays.',
    input: z.object({ amount: z.number() }),
    needsApproval: true,
    run: ({ amount }) => `paid ${amount}`,
  })
  const payer = () =>
    defineAgent({
      name: 'payer',
      instructions: 'Pay.',
      model: scriptedModel([{ toolCalls: [{ name: 'pay', args: { amount: 5 } }] }, { text: 'paid' }]),
      tools: [guarded],
    })

  it('records the identity the approval callback returns, and a replay keeps it', async () => {
    const path = file()
    const result = await run(payer(), 'Pay 5.', {
      record: path,
      approve: () => ({ approved: true, by: 'alice' }),
    })
    expect(result.status).toBe('done')
    const decision = readTranscript(path).events.find((e) => e.type === 'approval.decision')
    expect(decision).toMatchObject({
      type: 'approval.decision',
      callId: 'call_1_0',
      name: 'pay',
      approved: true,
      by: 'alice',
    })
    expect(Number.isNaN(Date.parse((decision as { at: string }).at))).toBe(false)
    const again = file()
    const replayed = await replay(path, payer(), { record: again })
    expect(replayed.divergences).toEqual([])
    expect(readTranscript(again).events.find((e) => e.type === 'approval.decision')).toMatchObject({
      by: 'alice',
      at: (decision as { at: string }).at,
    })
  })

  it('a plain yes or no records no identity; a paused run resumed with an answer records who gave it', async () => {
    const path = file()
    await run(payer(), 'Pay 5.', { record: path, approve: () => false })
    const refused = readTranscript(path).events.find((e) => e.type === 'approval.decision')
    expect(refused).toMatchObject({ approved: false })
    expect((refused as { by?: string }).by).toBeUndefined()

    const paused = file()
    expect((await run(payer(), 'Pay 5.', { record: paused })).status).toBe('awaiting_approval')
    const resumed = await resume(paused, payer(), { approve: () => ({ approved: true, by: 'bob' }) })
    expect(resumed.status).toBe('done')
    expect(readTranscript(paused).events.find((e) => e.type === 'approval.decision')).toMatchObject({
      by: 'bob',
    })
  })
})

describe('baton verify', () => {
  const verify = async (argv: string[]) => {
    let out = ''
    const code = await verifyCommand(parseVerifyArgs(argv), { out: { write: (t: string) => (out += t) } })
    return { code, out }
  }

  it('exits 0 intact, 1 tampered, not chained or signed by another key, and throws a usage error for a non-transcript', async () => {
    expect(await verify([plain])).toMatchObject({ code: 0 })
    const pub = join(dir, 'signing.pub.pem')
    writeFileSync(pub, keys.publicKey.export({ type: 'spki', format: 'pem' }))
    const ok = await verify([signed, '--key', pub])
    expect(ok.code).toBe(0)
    expect(ok.out).toMatch(/: intact: .*signatures verified\n$/)
    const otherPub = join(dir, 'other.pub.pem')
    writeFileSync(otherPub, other.publicKey.export({ type: 'spki', format: 'pem' }))
    expect((await verify([signed, '--key', otherPub])).code).toBe(1)
    const lines = linesOf(plain)
    lines[1] = lines[1]!.replace('"clerk"', '"clerc"')
    const edited = join(dir, 'edited.jsonl')
    writeFileSync(edited, text(lines))
    const tampered = await verify([edited, '--json'])
    expect(tampered.code).toBe(1)
    expect(JSON.parse(tampered.out)).toMatchObject({ intact: false, problem: { line: 2, kind: 'edited' } })
    expect((await verify(['agents/recordings/research-lead.jsonl'])).code).toBe(1)
    const notOne = join(dir, 'notes.txt')
    writeFileSync(notOne, 'hello\n')
    await expect(verify([notOne])).rejects.toThrow(/notes\.txt: not a Baton transcript: line 1 is not JSON/)
    // A device never ends: refused at once, not read.
    await expect(verify(['/dev/zero'])).rejects.toThrow(
      /^\/dev\/zero: cannot read the transcript: it is a device, not a file$/,
    )
    await expect(verify([dir])).rejects.toThrow(/: cannot read the transcript: it is a directory$/)
    expect(() => verifyTranscript('{"type":"event"}\n')).toThrow(NotATranscript)
    expect(() => parseVerifyArgs([])).toThrow(/missing the transcript to verify/)
    expect(() => parseVerifyArgs([plain, '--nope'])).toThrow(/unknown flag --nope/)
  })
})
