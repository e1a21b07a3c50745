/**
 * `verifyTranscript` and `baton verify` against someone who can edit a transcript file but does
 * not hold the signing key: what a signature does not cover is not called proven, a file whose
 * bytes differ from what was written does not verify as it, and the first changed line is named
 * with what happened to it.
 */
import { generateKeyPairSync } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { parseVerifyArgs, verifyCommand } from '../src/cli/verify-command.js'
import { defineAgent, defineTool, run } from '../src/index.js'
import { scriptedModel } from '../src/testing/index.js'
import { keyIdOf, lineDigest, linesOfBytes, splitChain } from '../src/transcript/chain.js'
import { verifyLines, verifyTranscript } from '../src/transcript/verify.js'

const dir = mkdtempSync(join(tmpdir(), 'baton-verify-attacks-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const keys = generateKeyPairSync('ed25519')
const other = generateKeyPairSync('ed25519')
const spki = (key: typeof keys.publicKey) => key.export({ type: 'spki', format: 'der' }) as Buffer

const lookup = defineTool({
  name: 'lookup',
  description: 'Looks a city up.',
  input: z.object({ city: z.string() }),
  run: ({ city }) => ({ city }),
})
const clerk = () =>
  defineAgent({
    name: 'clerk',
    instructions: 'Look the cities up, then answer.',
    model: scriptedModel(
      [
        { toolCalls: [{ name: 'lookup', args: { city: 'Lisbon' } }] },
        { toolCalls: [{ name: 'lookup', args: { city: 'Porto' } }] },
        { text: 'Lisbon is bigger. ✓' },
      ],
      // Each step written (and signed) on its own.
      { latencyMs: 5 },
    ),
    tools: [lookup],
  })

let signed: string[]
let plain: string[]
beforeAll(async () => {
  const signedPath = join(dir, 'signed.jsonl')
  const plainPath = join(dir, 'plain.jsonl')
  expect((await run(clerk(), 'Which?', { record: signedPath, sign: keys.privateKey })).status).toBe('done')
  expect((await run(clerk(), 'Which?', { record: plainPath })).status).toBe('done')
  signed = readFileSync(signedPath, 'utf8').split('\n').slice(0, -1)
  plain = readFileSync(plainPath, 'utf8').split('\n').slice(0, -1)
})

const text = (lines: string[]) => `${lines.join('\n')}\n`
const withKey = { publicKey: keys.publicKey }
/** Recomputes every digest, as someone without the key can; signatures kept only when asked. */
function rechain(lines: string[], keepSignatures = false): string[] {
  let before = ''
  return lines.map((line, i) => {
    const part = splitChain(line)!
    const digest = lineDigest(before, i + 1, part.body)
    before = digest
    const signature = keepSignatures && part.signature ? `.${part.signature}` : ''
    return `${part.body.slice(0, -1)},"chain":"${i + 1}.${digest}${signature}"}`
  })
}
const lastSignedIndex = (lines: string[]) => lines.findLastIndex((line) => splitChain(line)!.signature)

describe('under a key, only what a signature covers is proven', () => {
  it('the run.end removed and the unsigned last step rewritten: the rewritten lines are not counted as proven', () => {
    const lines = signed.slice(0, -1)
    const at = lines.findLastIndex((line) => line.includes('Lisbon is bigger'))
    lines[at] = lines[at]!.replace('Lisbon is bigger', 'Porto is bigger')
    const forged = rechain(lines, true)
    const proven = lastSignedIndex(forged) + 1
    expect(proven).toBeLessThan(at + 1)
    const report = verifyTranscript(text(forged), withKey)
    expect(report).toMatchObject({ finished: false, lines: proven, events: proven - 1 })
    expect(report.digest).toBe(splitChain(forged[proven - 1]!)!.digest)
    expect(report.signer).toMatchObject({ checked: true, lastSignedLine: proven })
    expect(report.message).toContain(
      `intact up to line ${proven} (${proven - 1} events, 1 agent), but unfinished`,
    )
    expect(report.message).toContain(
      `lines ${proven + 1} to ${forged.length} are not signed, so nothing proves them`,
    )
    // Without a key there is nothing to tell a rewritten chain from the real one.
    expect(verifyTranscript(text(forged)).lines).toBe(forged.length)
  })

  it('a file that names the key but has no signature at all proves nothing', async () => {
    const forged = rechain(signed.slice(0, -1))
    const report = verifyTranscript(text(forged), withKey)
    expect(report.intact).toBe(false)
    expect(report.problem).toMatchObject({ line: 1, kind: 'unsigned' })
    expect(report.message).toBe(
      `tampered: no line is signed: nothing in it is proven by key ${keyIdOf(spki(keys.publicKey))}`,
    )
    const path = join(dir, 'no-signature.jsonl')
    writeFileSync(path, text(forged))
    const pub = join(dir, 'key.pub.pem')
    writeFileSync(pub, keys.publicKey.export({ type: 'spki', format: 'pem' }))
    expect(await verify([path, '--key', pub])).toMatchObject({ code: 1 })
  })

  it("the header's key id must be that of the public key it names", () => {
    const header = JSON.parse(splitChain(signed[0]!)!.body)
    // Another key's id on this key: the id a reader is shown would lie.
    const lying = { ...header, signer: { ...header.signer, keyId: keyIdOf(spki(other.publicKey)) } }
    const renamed = rechain([
      `${JSON.stringify(lying).slice(0, -1)},"chain":"1.${'0'.repeat(64)}"}`,
      ...signed.slice(1),
    ])
    expect(verifyTranscript(text(renamed)).problem).toMatchObject({ line: 1, kind: 'edited' })
    expect(verifyTranscript(text(renamed)).message).toMatch(
      /^tampered: line 1 was edited: its signer's key id/,
    )
    // Another public key under the trusted key's id: the key given is the one that counts.
    const swapped = {
      ...header,
      signer: { keyId: header.signer.keyId, publicKey: spki(other.publicKey).toString('base64') },
    }
    const file = rechain([
      `${JSON.stringify(swapped).slice(0, -1)},"chain":"1.${'0'.repeat(64)}"}`,
      ...signed.slice(1),
    ])
    expect(verifyTranscript(text(file), withKey).problem).toMatchObject({ line: 1 })
    expect(verifyTranscript(text(file), withKey).intact).toBe(false)
  })
})

describe('after the end of the run', () => {
  it('a fragment without a line end after run.end is appended, not a cut-off line', () => {
    for (const lines of [plain, signed]) {
      const report = verifyTranscript(`${text(lines)}{"seq":99,"t":1,"type":"tool.res`)
      expect(report.problem).toEqual({
        line: lines.length + 1,
        kind: 'appended',
        message: `line ${lines.length + 1} was appended after the run's end`,
      })
    }
  })
})

describe('one file, one way to write it', () => {
  it('a line number written with a leading zero', () => {
    const lines = [...plain]
    lines[2] = lines[2]!.replace(/"chain":"3\./, '"chain":"03.')
    expect(verifyTranscript(text(lines)).problem).toMatchObject({ line: 3, kind: 'edited' })
  })

  it('a signature written another way that decodes to the same bytes', () => {
    const lines = [...signed]
    const at = lines.findIndex((line) => splitChain(line)!.signature)
    const signature = splitChain(lines[at]!)!.signature!
    // The last character before "==" carries 2 bits; its 4 low bits are ignored when decoded.
    const last = signature.at(-3)!
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'
    const twin = `${signature.slice(0, -3)}${alphabet[alphabet.indexOf(last) + 1]}==`
    expect(Buffer.from(twin, 'base64')).toEqual(Buffer.from(signature, 'base64'))
    lines[at] = lines[at]!.replace(signature, twin)
    expect(verifyTranscript(text(lines), withKey).problem).toMatchObject({ line: at + 1, kind: 'edited' })
    expect(verifyTranscript(text(lines)).intact).toBe(false)
  })

  it('bytes that are not UTF-8 do not verify as the character they decode to', () => {
    const bytes = Buffer.from(text(plain))
    const check = Buffer.from('✓')
    const at = bytes.indexOf(check)
    expect(at).toBeGreaterThan(0)
    const line = bytes.subarray(0, at).toString('utf8').split('\n').length
    // A chain rebuilt over U+FFFD, then the bytes of U+FFFD swapped for one invalid byte.
    const replaced = rechain(bytes.toString('utf8').replace('✓', '\uFFFD').split('\n').slice(0, -1))
    const good = Buffer.from(text(replaced))
    expect(verifyTranscript(good).intact).toBe(true)
    const mark = good.indexOf(Buffer.from('\uFFFD'))
    const bad = Buffer.concat([good.subarray(0, mark), Buffer.from([0xff]), good.subarray(mark + 3)])
    expect(verifyTranscript(bad).problem).toMatchObject({ line, kind: 'edited' })
    expect(verifyTranscript(bad).problem!.message).toContain('not valid UTF-8')
    // A string holding half a surrogate pair is no text a file holds either.
    const half = text(rechain(text(plain).replace('✓', '\uD800').split('\n').slice(0, -1)))
    expect(verifyTranscript(half).problem).toMatchObject({ line, kind: 'edited' })
  })

  it('a last line cut in the middle of a character is still a cut-off line', () => {
    const bytes = Buffer.from(text(plain.slice(0, -1)))
    const cut = Buffer.concat([
      bytes,
      Buffer.from(plain.at(-1)!.slice(0, 20)),
      Buffer.from('✓').subarray(0, 2),
    ])
    expect(verifyTranscript(cut)).toMatchObject({ intact: true, finished: false, lines: plain.length - 1 })
  })
})

describe('what changed is named', () => {
  it('a line edited so that its chain field no longer ends it is edited, not inserted', () => {
    for (const edit of [
      (line: string) => `${line} `,
      (line: string) => line.replace(',"chain":', ', "chain":'),
      (line: string) => line.replace(/,"chain":"[^"]+"/, ''),
    ]) {
      const lines = [...plain]
      lines[3] = edit(lines[3]!)
      expect(verifyTranscript(text(lines)).problem).toMatchObject({ line: 4, kind: 'edited' })
    }
  })
})

describe('read a piece at a time', () => {
  it('lines and characters split across pieces verify as the whole file does', () => {
    for (const lines of [plain, signed]) {
      const bytes = Buffer.from(`\uFEFF${text(lines).replaceAll('\n', '\r\n')}`)
      const whole = verifyTranscript(bytes, withKey)
      const pieces = function* () {
        for (let i = 0; i < bytes.length; i += 7) yield bytes.subarray(i, i + 7)
      }
      expect(verifyLines(linesOfBytes(pieces()), keys.publicKey)).toEqual(whole)
    }
    expect(verifyTranscript(Buffer.from(text(signed)), withKey).intact).toBe(true)
  })

  it('baton verify reads the file; a file it cannot read is a usage error, not a verdict', async () => {
    const path = join(dir, 'edited.jsonl')
    const lines = [...plain]
    lines[4] = lines[4]!.replace('"Lisbon"', '"Lisboa"')
    writeFileSync(path, text(lines))
    expect(await verify([path])).toMatchObject({
      code: 1,
      out: `${path}: tampered: line 5 was edited: its content does not match its digest\n`,
    })
    await expect(verify([join(dir, 'missing.jsonl')])).rejects.toThrow(
      /missing\.jsonl: cannot read the transcript: no such file$/,
    )
  })
})

describe('key files', () => {
  it('an empty file, a file with no PEM key, or an encrypted private key is refused saying so', () => {
    const encrypted = keys.privateKey.export({
      type: 'pkcs8',
      format: 'pem',
      cipher: 'aes-256-cbc',
      passphrase: 'pw',
    })
    for (const [content, why] of [
      ['', /holds no PEM key/],
      ['hello\n', /holds no PEM key/],
      [encrypted, /holds an encrypted private key: give its public key/],
    ] as const) {
      const path = join(dir, 'bad.pem')
      writeFileSync(path, content)
      expect(() => verifyTranscript(text(signed), { publicKey: path })).toThrow(why)
    }
  })
})

async function verify(argv: string[]) {
  let out = ''
  const code = await verifyCommand(parseVerifyArgs(argv), { out: { write: (t: string) => (out += t) } })
  return { code, out }
}
