import { isIPv4, isIPv6 } from 'node:net'

/** A range of addresses `http_fetch` refuses by default, and why. */
type Range = readonly [prefix: readonly number[], bits: number, kind: string]

const IPV4_REFUSED: readonly Range[] = [
  [[0], 8, 'an unspecified ("this network")'],
  [[10], 8, 'a private'],
  [[100, 64], 10, 'a shared (carrier-grade NAT)'],
  [[127], 8, 'a loopback'],
  [[169, 254], 16, 'a link-local'],
  [[172, 16], 12, 'a private'],
  [[192, 0, 0], 24, 'a reserved (IETF protocol)'],
  [[192, 0, 2], 24, 'a documentation'],
  [[192, 168], 16, 'a private'],
  [[198, 18], 15, 'a benchmarking'],
  [[198, 51, 100], 24, 'a documentation'],
  [[203, 0, 113], 24, 'a documentation'],
  [[224], 4, 'a multicast'],
  [[240], 4, 'a reserved (or broadcast)'],
]

// Only global unicast (2000::/3) is public; everything else below is named for the message.
const IPV6_NAMED: readonly Range[] = [
  [[0xfc], 7, 'a private (unique local)'],
  [[0xfe, 0x80], 10, 'a link-local'],
  [[0xfe, 0xc0], 10, 'a private (site-local)'],
  [[0xff], 8, 'a multicast'],
  [[0x20, 0x01, 0x0d, 0xb8], 32, 'a documentation'],
  [[0x3f, 0xff, 0x00], 20, 'a documentation'],
  // Inside 2000::/3 but not ordinary hosts (IANA's special-purpose registry): Teredo hides an
  // IPv4 address, which a relay reaches; the rest of 2001::/23 is protocols and benchmarking.
  [[0x20, 0x01, 0x00, 0x00], 32, 'a Teredo tunnel'],
  [[0x20, 0x01, 0x00], 23, 'a special-purpose (IETF protocol)'],
]

/**
 * Why `address` (an IPv4 or IPv6 literal, brackets and zone allowed) may not be fetched by
 * default, e.g. `"a loopback address"`, or `undefined` when it is a public address. IPv6 forms
 * that carry an IPv4 address (mapped `::ffff:a.b.c.d`, NAT64 `64:ff9b::/96`, 6to4 `2002::/16`,
 * the old compatible `::a.b.c.d`) are judged by the IPv4 address inside.
 */
export function refusedAddress(address: string): string | undefined {
  const literal = address.replace(/^\[|\]$/g, '').replace(/%.*$/, '')
  if (isIPv4(literal)) return ipv4Problem(literal.split('.').map(Number))
  if (!isIPv6(literal)) return 'not an IP address'
  const bytes = ipv6Bytes(literal)
  const embedded = embeddedIPv4(bytes)
  if (embedded) {
    const problem = ipv4Problem(embedded)
    return problem && `${problem.replace(/ address$/, '')} IPv4 address in IPv6 form`
  }
  if (bytes.every((b, i) => b === 0 || (i === 15 && b === 1))) {
    return bytes[15] === 1 ? 'a loopback address' : 'an unspecified address'
  }
  const named = IPV6_NAMED.find((range) => inRange(bytes, range))
  if (named) return `${named[2]} address`
  return ((bytes[0] ?? 0) & 0xe0) === 0x20 ? undefined : 'a reserved address'
}

function ipv4Problem(bytes: readonly number[]): string | undefined {
  const range = IPV4_REFUSED.find((r) => inRange(bytes, r))
  return range && `${range[2]} address`
}

function inRange(bytes: readonly number[], [prefix, bits]: Range): boolean {
  for (let i = 0; i * 8 < bits; i++) {
    const width = Math.min(8, bits - i * 8)
    const mask = (0xff << (8 - width)) & 0xff
    if (((bytes[i] ?? 0) & mask) !== ((prefix[i] ?? 0) & mask)) return false
  }
  return true
}

/** The IPv4 address an IPv6 address carries, if it is of a form that carries one. */
function embeddedIPv4(bytes: readonly number[]): number[] | undefined {
  const zeros = (from: number, to: number) => bytes.slice(from, to).every((b) => b === 0)
  const last4 = bytes.slice(12, 16)
  if (zeros(0, 10) && bytes[10] === 0xff && bytes[11] === 0xff) return last4 // ::ffff:0:0/96
  if (zeros(0, 12) && !zeros(12, 15)) return last4 // ::a.b.c.d (not :: or ::1)
  if (inRange(bytes, [[0, 0x64, 0xff, 0x9b], 96, ''])) return last4 // 64:ff9b::/96
  if (bytes[0] === 0x20 && bytes[1] === 0x02) return bytes.slice(2, 6) // 2002::/16
  return undefined
}

/** The 16 bytes of a valid IPv6 literal (checked with `isIPv6` first). */
function ipv6Bytes(literal: string): number[] {
  let text = literal
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text)
  if (dotted?.[1]) {
    const [a, b, c, d] = dotted[1].split('.').map(Number) as [number, number, number, number]
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`
  }
  const [head = '', tail] = text.split('::')
  const groups = (part: string) => (part === '' ? [] : part.split(':').map((g) => Number.parseInt(g, 16)))
  const front = groups(head)
  const back = tail === undefined ? [] : groups(tail)
  const words = [...front, ...new Array<number>(8 - front.length - back.length).fill(0), ...back]
  return words.flatMap((w) => [w >> 8, w & 0xff])
}
