import type { LookupAddress } from 'node:dns'
import { lookup } from 'node:dns/promises'
import { isIP, isIPv6, type LookupFunction } from 'node:net'
import { refusedAddress } from './ip-address.js'

/** Which hosts may resolve to addresses that are not public. */
export interface AddressPolicy {
  allowPrivate: boolean
  /** Normalized host names and IP literals; `*.example.com` entries cover subdomains. */
  allowHosts: readonly string[]
}

/** The host of a URL without IPv6 brackets, e.g. `::1` for `http://[::1]:8080/`. */
export function bareHost(url: URL): string {
  return url.hostname.replace(/^\[|\]$/g, '')
}

/**
 * Normalizes an `allowHosts` entry the way a URL's host is normalized (lower case, punycode,
 * IPv4 in dotted form, IPv6 compressed), so that comparing is plain string equality.
 */
export function normalizeHost(entry: string): string {
  const wildcard = entry.startsWith('*.')
  const name = wildcard ? entry.slice(2) : entry
  // A host alone: no scheme, port, path or user.
  if (!isIPv6(name) && /[\s/:@?#[\]\\%]/.test(name))
    throw new TypeError(`not a host name: ${JSON.stringify(entry)}`)
  const host = bareHost(new URL(`http://${isIPv6(name) ? `[${name}]` : name}/`))
  if (host === '' || (wildcard && isIP(host)))
    throw new TypeError(`not a host name: ${JSON.stringify(entry)}`)
  return wildcard ? `*.${host}` : host
}

/**
 * Resolves the URL's host once (an IP literal needs no lookup) and refuses it when an address
 * is not public and the policy does not exempt the host. Returns the addresses to connect to:
 * the connection is pinned to them, so the server cannot answer a second lookup differently.
 */
export async function checkedAddresses(
  url: URL,
  policy: AddressPolicy,
  signal: AbortSignal,
): Promise<LookupAddress[]> {
  const host = bareHost(url)
  const family = isIP(host)
  const addresses = family ? [{ address: host, family }] : await resolve(host, signal)
  if (policy.allowPrivate || hostAllowed(host, policy.allowHosts)) return addresses
  for (const { address } of addresses) {
    const problem = refusedAddress(address)
    if (problem === undefined) continue
    const what = family ? `${host} is ${problem}` : `${host} resolves to ${address}, ${problem}`
    throw new Error(
      `refused to fetch ${url.href}: ${what}. Only public addresses are fetched (the tool's allowPrivate or allowHosts options can permit others).`,
    )
  }
  return addresses
}

/** A `lookup` for `net.connect` that answers only with the addresses already checked for each host. */
export function pinnedLookup(pins: ReadonlyMap<string, LookupAddress[]>): LookupFunction {
  return (hostname, options, callback) => {
    const all = pins.get(hostname.toLowerCase()) ?? []
    const addresses = options.family ? all.filter((a) => a.family === options.family) : all
    const first = addresses[0]
    if (!first) {
      const error: NodeJS.ErrnoException = new Error(`no checked address for ${hostname}`)
      error.code = 'ENOTFOUND'
      callback(error, '', 0)
    } else if (options.all) callback(null, addresses)
    else callback(null, first.address, first.family)
  }
}

function hostAllowed(host: string, allowHosts: readonly string[]): boolean {
  return allowHosts.some(
    (entry) => entry === host || (entry.startsWith('*.') && host.endsWith(entry.slice(1))),
  )
}

async function resolve(host: string, signal: AbortSignal): Promise<LookupAddress[]> {
  signal.throwIfAborted()
  // dns.lookup cannot be cancelled; stop waiting for it when the call is stopped.
  let stop: (() => void) | undefined
  const stopped = new Promise<never>((_, reject) => {
    stop = () => reject(signal.reason)
    signal.addEventListener('abort', stop, { once: true })
  })
  try {
    return await Promise.race([lookup(host, { all: true }), stopped])
  } catch (error) {
    if (signal.aborted) throw error
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message
    throw new Error(`cannot resolve the host ${host} (${code})`)
  } finally {
    if (stop) signal.removeEventListener('abort', stop)
  }
}
