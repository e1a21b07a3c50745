import { pipeline, type Readable } from 'node:stream'
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib'
import { bytesText, looksBinary } from './binary.js'

const TEXT_TYPE =
  /^(?:text\/|application\/(?:json|xml|javascript|ecmascript|x-javascript|x-www-form-urlencoded|x-ndjson|ndjson|yaml|x-yaml|toml|csv|graphql|sql|rtf)\b)|\+(?:json|xml)\b/
const BINARY_TYPE =
  /^(?:image|audio|video|font|model)\/|^application\/(?:octet-stream|pdf|zip|gzip|x-gzip|x-tar|x-7z-compressed|x-rar-compressed|wasm|msword|protobuf|x-protobuf|vnd\.)/

/** What `readBody` needs to know about a response. */
export interface BodySource {
  body: Readable
  /** Lower-cased header names, as undici gives them. */
  headers: Record<string, string | string[] | undefined>
}

/**
 * Reads at most `maxBytes` (after decompression) and returns it as text. Binary content is
 * described in one line instead: a declared binary type is not even downloaded.
 */
export async function readBody(
  response: BodySource,
  maxBytes: number,
): Promise<{ body: string; truncated: boolean }> {
  const type = header(response.headers, 'content-type')?.toLowerCase()
  const mime = type?.split(';')[0]?.trim()
  const declared = header(response.headers, 'content-length')
  if (mime && !TEXT_TYPE.test(mime) && BINARY_TYPE.test(mime)) {
    discard(response.body)
    const size = declared ? bytesText(Number(declared)) : 'size not stated'
    return { body: `[binary content (${mime}), ${size}: not shown]`, truncated: false }
  }
  const encoding = header(response.headers, 'content-encoding')?.trim().toLowerCase()
  const stream = decompressed(response.body, encoding)
  if (!stream) {
    discard(response.body)
    return { body: `[content with the unsupported encoding "${encoding}": not shown]`, truncated: false }
  }
  const { bytes, truncated } = await readAtMost(stream, maxBytes).finally(() => {
    discard(stream)
    discard(response.body)
  })
  if (!(mime && TEXT_TYPE.test(mime)) && looksBinary(bytes)) {
    const size = truncated ? `more than ${bytesText(maxBytes)}` : bytesText(bytes.length)
    return { body: `[binary content (${mime ?? 'no content-type'}), ${size}: not shown]`, truncated: false }
  }
  // In streaming mode a character cut in half by the limit is left out rather than garbled.
  const text = decoder(type).decode(bytes, { stream: truncated })
  if (!truncated) return { body: text, truncated }
  const whole = declared
    ? `; it has ${bytesText(Number(declared))}${stream === response.body ? '' : ' compressed'}`
    : ''
  const note = `[truncated: only the first ${bytesText(maxBytes)} of the response are shown${whole}]`
  return { body: `${text}\n${note}`, truncated }
}

/** Stops reading a body. (An undici body destroyed before its end emits an error: nobody waits for it.) */
export function discard(body: Readable): void {
  body.on('error', () => {})
  body.destroy()
}

/** One header value (the first, when a header is repeated). */
export function header(headers: BodySource['headers'], name: string): string | undefined {
  const value = headers[name]
  return Array.isArray(value) ? value[0] : value
}

function decompressed(body: Readable, encoding: string | undefined): Readable | undefined {
  if (!encoding || encoding === 'identity') return body
  const decode =
    encoding === 'gzip' || encoding === 'x-gzip'
      ? createGunzip()
      : encoding === 'deflate'
        ? createInflate()
        : encoding === 'br'
          ? createBrotliDecompress()
          : undefined
  // pipeline forwards an error (or an abort) of the body to the decompressor we read from.
  return decode && pipeline(body, decode, () => {})
}

async function readAtMost(
  stream: Readable,
  maxBytes: number,
): Promise<{ bytes: Buffer; truncated: boolean }> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    const room = maxBytes - size
    if (chunk.length > room) {
      chunks.push(chunk.subarray(0, room))
      return { bytes: Buffer.concat(chunks), truncated: true }
    }
    chunks.push(chunk)
    size += chunk.length
  }
  return { bytes: Buffer.concat(chunks), truncated: false }
}

function decoder(type: string | undefined): TextDecoder {
  const charset = /charset="?([^";\s]+)/.exec(type ?? '')?.[1]
  try {
    return new TextDecoder(charset ?? 'utf-8')
  } catch {
    return new TextDecoder('utf-8')
  }
}
