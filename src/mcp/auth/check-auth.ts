import { createPrivateKey } from 'node:crypto'
import { BatonError } from '../../errors/index.js'
import { describe } from '../../schema/index.js'
import { isLoopbackRedirect } from './loopback.js'
import type { McpAuth } from './types.js'

const GRANTS = ['authorization_code', 'client_credentials', 'jwt_bearer']
/** Fields whose values are never quoted, even when they are wrong. */
const SECRET = new Set(['clientSecret', 'privateKey'])

/** Refuses an `auth` option that cannot work, naming the field (`server.auth.clientId`), before anything starts. */
export function checkAuth(auth: unknown): asserts auth is McpAuth {
  const bad = (field: string, message: string, value: unknown) => {
    const got = SECRET.has(field) ? (value === null ? 'null' : typeof value) : describe(value)
    return new BatonError('INVALID_OPTIONS', `mcpTools: server.auth.${field} ${message}, got ${got}`, {
      details: { field: `server.auth.${field}` },
    })
  }
  if (typeof auth !== 'object' || auth === null || Array.isArray(auth))
    throw new BatonError(
      'INVALID_OPTIONS',
      `mcpTools: server.auth must be an object, got ${describe(auth)}`,
      {
        details: { field: 'server.auth' },
      },
    )
  const a = auth as Record<string, unknown>
  const known = new Set([
    'grant',
    'clientId',
    'clientSecret',
    'privateKey',
    'clientMetadataUrl',
    'scope',
    'issuer',
    'store',
    'authorize',
    'redirectUrl',
    'assertion',
  ])
  for (const key of Object.keys(a))
    if (!known.has(key)) throw bad(key, `is not an option (expected one of ${[...known].join(', ')})`, a[key])
  const grant = a.grant ?? 'authorization_code'
  if (!GRANTS.includes(grant as string)) throw bad('grant', `must be one of ${GRANTS.join(', ')}`, a.grant)
  for (const field of ['clientId', 'clientSecret', 'scope'] as const)
    if (a[field] !== undefined && (typeof a[field] !== 'string' || a[field].trim() === ''))
      throw bad(field, 'must be a non-empty string', a[field])
  for (const field of ['authorize', 'assertion'] as const)
    if (a[field] !== undefined && typeof a[field] !== 'function')
      throw bad(field, 'must be a function', a[field])
  if (a.privateKey !== undefined) checkKey(a.privateKey, bad)
  if (a.clientSecret !== undefined && a.privateKey !== undefined)
    throw bad(
      'privateKey',
      'and clientSecret cannot both be given: the client authenticates one way',
      a.privateKey,
    )
  if ((a.clientSecret !== undefined || a.privateKey !== undefined) && a.clientId === undefined)
    throw bad('clientId', 'is needed with clientSecret or privateKey', a.clientId)
  if (a.clientMetadataUrl !== undefined && !isHttpsPath(a.clientMetadataUrl))
    throw bad(
      'clientMetadataUrl',
      'must be an https URL with a path (the client metadata document)',
      a.clientMetadataUrl,
    )
  if (a.issuer !== undefined && !isUrl(a.issuer, ['https:', 'http:']))
    throw bad('issuer', "must be the authorization server's issuer URL", a.issuer)
  if (
    a.redirectUrl !== undefined &&
    !(isUrl(a.redirectUrl, ['http:']) && isLoopbackRedirect(new URL(a.redirectUrl as string)))
  )
    throw bad(
      'redirectUrl',
      'must be http://127.0.0.1:<port>/<path> (or localhost): Baton listens there for the redirect',
      a.redirectUrl,
    )
  const store = a.store as Record<string, unknown> | undefined
  if (
    store !== undefined &&
    (typeof store !== 'object' ||
      store === null ||
      ['get', 'set', 'delete'].some((m) => typeof store[m] !== 'function'))
  )
    throw bad('store', 'must be an object with get, set and delete methods (e.g. fileAuthStore(path))', store)

  if (grant === 'authorization_code') {
    if (a.assertion !== undefined) throw bad('assertion', "only goes with grant: 'jwt_bearer'", a.assertion)
    return
  }
  // No user takes part: the client must be able to authenticate on its own.
  for (const field of ['authorize', 'redirectUrl', 'clientMetadataUrl'] as const)
    if (a[field] !== undefined)
      throw bad(field, `does not go with grant: '${grant}' (no user logs in)`, a[field])
  if (a.clientId === undefined) throw bad('clientId', `is needed for grant: '${grant}'`, a.clientId)
  if (grant === 'client_credentials' && a.clientSecret === undefined && a.privateKey === undefined)
    throw bad('clientSecret', "or privateKey is needed for grant: 'client_credentials'", a.clientSecret)
  if (grant === 'jwt_bearer' && a.assertion === undefined)
    throw bad(
      'assertion',
      "is needed for grant: 'jwt_bearer' (a function that returns the assertion)",
      a.assertion,
    )
  if (grant === 'client_credentials' && a.assertion !== undefined)
    throw bad('assertion', "only goes with grant: 'jwt_bearer'", a.assertion)
}

/** The JWS algorithm a private key signs with: the JWK's `alg`, else what the key is. */
export function keyAlgorithm(key: string | Record<string, unknown>): string {
  if (typeof key === 'object' && typeof key.alg === 'string') return key.alg
  const k =
    typeof key === 'string' ? createPrivateKey(key) : createPrivateKey({ key: key as never, format: 'jwk' })
  const curve = k.asymmetricKeyDetails?.namedCurve
  switch (k.asymmetricKeyType) {
    case 'ec':
      return curve === 'secp384r1' ? 'ES384' : curve === 'secp521r1' ? 'ES512' : 'ES256'
    case 'rsa':
      return 'RS256'
    case 'rsa-pss':
      return 'PS256'
    case 'ed25519':
      return 'EdDSA'
    default:
      throw new Error(`no JWS algorithm for a ${k.asymmetricKeyType} key`)
  }
}

/** A PEM key as PKCS#8 (what the SDK's signer reads), whatever PEM form it came in. */
export function pkcs8(key: string): string {
  return createPrivateKey(key).export({ type: 'pkcs8', format: 'pem' }).toString()
}

function checkKey(key: unknown, bad: (field: string, message: string, value: unknown) => BatonError): void {
  if (typeof key !== 'string' && (typeof key !== 'object' || key === null || Array.isArray(key)))
    throw bad('privateKey', 'must be a PEM string or a JWK object', key)
  try {
    keyAlgorithm(key as string | Record<string, unknown>)
  } catch {
    // Node's reason could quote the key: it is left out.
    throw bad(
      'privateKey',
      'is not a private key Node can read (PKCS#8 or PKCS#1/SEC1 PEM, or a JWK with "d")',
      key,
    )
  }
}

function isUrl(value: unknown, protocols: string[]): boolean {
  if (typeof value !== 'string') return false
  try {
    return protocols.includes(new URL(value).protocol)
  } catch {
    return false
  }
}

function isHttpsPath(value: unknown): boolean {
  return isUrl(value, ['https:']) && new URL(value as string).pathname !== '/'
}
