import { describe, expect, it } from 'vitest'
import { refusedAddress } from './ip-address.js'

describe('refusedAddress', () => {
  it.each([
    ['127.0.0.1', 'a loopback address'],
    ['127.255.0.9', 'a loopback address'],
    ['10.1.2.3', 'a private address'],
    ['172.16.0.1', 'a private address'],
    ['172.31.255.255', 'a private address'],
    ['192.168.1.1', 'a private address'],
    ['169.254.169.254', 'a link-local address'],
    ['100.64.0.1', 'a shared (carrier-grade NAT) address'],
    ['100.127.255.254', 'a shared (carrier-grade NAT) address'],
    ['0.0.0.0', 'an unspecified ("this network") address'],
    ['224.0.0.1', 'a multicast address'],
    ['255.255.255.255', 'a reserved (or broadcast) address'],
    ['::1', 'a loopback address'],
    ['[::1]', 'a loopback address'],
    ['::', 'an unspecified address'],
    ['fc00::1', 'a private (unique local) address'],
    ['fd12:3456::1', 'a private (unique local) address'],
    ['fe80::1', 'a link-local address'],
    ['fe80::1%eth0', 'a link-local address'],
    ['febf::1', 'a link-local address'],
    ['ff02::1', 'a multicast address'],
    ['::ffff:127.0.0.1', 'a loopback IPv4 address in IPv6 form'],
    ['::ffff:7f00:1', 'a loopback IPv4 address in IPv6 form'],
    ['::ffff:10.0.0.1', 'a private IPv4 address in IPv6 form'],
    ['::ffff:169.254.169.254', 'a link-local IPv4 address in IPv6 form'],
    ['::127.0.0.1', 'a loopback IPv4 address in IPv6 form'],
    ['64:ff9b::a9fe:a9fe', 'a link-local IPv4 address in IPv6 form'],
    ['2002:c0a8:0101::1', 'a private IPv4 address in IPv6 form'],
    ['2001:db8::1', 'a documentation address'],
    // Teredo carries a client IPv4 address (here 127.0.0.1, XOR-ed) and reaches it through a relay.
    ['2001:0:4136:e378:8000:63bf:80ff:fffe', 'a Teredo tunnel address'],
    ['2001::1', 'a Teredo tunnel address'],
    ['2001:2::1', 'a special-purpose (IETF protocol) address'],
    ['2001:10::1', 'a special-purpose (IETF protocol) address'],
    ['2001:1ff:ffff::1', 'a special-purpose (IETF protocol) address'],
    ['3fff::1', 'a documentation address'],
    ['3fff:fff:ffff::1', 'a documentation address'],
    ['::2', 'a reserved address'],
    ['4000::1', 'a reserved address'],
    ['example.com', 'not an IP address'],
  ])('refuses %s as %s', (address, reason) => {
    expect(refusedAddress(address)).toBe(reason)
  })

  it.each([
    '93.184.216.34',
    '8.8.8.8',
    '1.1.1.1',
    '172.32.0.1',
    '100.128.0.1',
    '169.255.0.1',
    '2606:4700:4700::1111',
    '2a00:1450:4001:80b::200e',
    '2001:200::1',
    '2001:4860:4860::8888',
    '3fff:1000::1',
    '::ffff:8.8.8.8',
    '64:ff9b::808:808',
    '2002:0808:0808::1',
  ])('lets the public address %s through', (address) => {
    expect(refusedAddress(address)).toBeUndefined()
  })
})
