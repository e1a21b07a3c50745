import { BatonError } from '../errors/index.js'
import { checkModelString } from '../model/model-string.js'
import { isModel } from '../model/types.js'
import { describe } from '../schema/index.js'
import { isObjectOfStrings, unknownKey } from '../schema/known-keys.js'
import { TOOL_NAME } from '../tool/index.js'
import { checkAuth } from './auth/check-auth.js'
import type { McpServerConfig } from './connect.js'
import type { McpToolsOptions } from './mcp-tools.js'

/** Refuses a server config `mcpTools` cannot use, naming the field, before anything starts. */
export function checkServer(server: unknown): asserts server is McpServerConfig {
  const bad = (message: string, value: unknown) =>
    new BatonError('INVALID_OPTIONS', `mcpTools: ${message}, got ${describe(value)}`, {
      details: { field: 'server' },
    })
  if (typeof server !== 'object' || server === null)
    throw bad('expected { command, args? } or { url, headers?, auth? }', server)
  const s = server as Record<string, unknown>
  checkServerKeys(s)
  if ('command' in s === 'url' in s) throw bad('give either `command` (stdio) or `url` (streamable HTTP)', s)
  if ('command' in s) {
    if (typeof s.command !== 'string' || s.command.trim() === '')
      throw bad('`command` must be a non-empty string', s.command)
    if (s.args !== undefined && !(Array.isArray(s.args) && s.args.every((a) => typeof a === 'string')))
      throw bad('`args` must be an array of strings', s.args)
    if (s.env !== undefined && !isObjectOfStrings(s.env, true))
      throw bad('`env` must be an object of strings', s.env)
    if (s.cwd !== undefined && (typeof s.cwd !== 'string' || s.cwd === ''))
      throw bad('`cwd` must be a directory path', s.cwd)
    if (s.stderr !== undefined && s.stderr !== 'pipe' && s.stderr !== 'inherit' && s.stderr !== 'ignore')
      throw bad('`stderr` must be "pipe", "inherit" or "ignore"', s.stderr)
    return
  }
  let url: URL | undefined
  try {
    url = new URL(s.url as string)
  } catch {}
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:'))
    throw bad('`url` must be an http(s) URL', s.url instanceof URL ? s.url.href : s.url)
  const headers = s.headers as Record<string, unknown> | undefined
  // Header values are credentials more often than not: only their type is ever quoted.
  if (headers !== undefined && !isObjectOfStrings(headers))
    throw new BatonError(
      'INVALID_OPTIONS',
      `mcpTools: \`headers\` must be an object of strings, got ${headers === null ? 'null' : Array.isArray(headers) ? 'an array' : typeof headers === 'object' ? 'a value that is not a string' : typeof headers}`,
      { details: { field: 'server.headers' } },
    )
  if (s.auth !== undefined) checkAuth(s.auth)
}

/** The longest delay `setTimeout` takes (2^31 - 1 ms). */
const MAX_TIMER_MS = 2_147_483_647

const STDIO_KEYS = ['command', 'args', 'env', 'cwd', 'stderr']
const HTTP_KEYS = ['url', 'headers', 'auth']
const OPTION_KEYS: ReadonlySet<string> = new Set([
  'prefix',
  'include',
  'exclude',
  'timeoutMs',
  'connectTimeoutMs',
  'elicitation',
  'sampling',
  'roots',
])

/**
 * A key the server config does not have: an option given in the server (it belongs in the
 * second argument), a key of the other transport, or a misspelling.
 */
function checkServerKeys(s: Record<string, unknown>): void {
  const known = new Set([...STDIO_KEYS, ...HTTP_KEYS])
  const fail = (key: string, message: string): never => {
    throw new BatonError('INVALID_OPTIONS', `mcpTools: the server's ${key} ${message}`, {
      details: { field: `server.${key}` },
    })
  }
  for (const key of Object.keys(s))
    if (OPTION_KEYS.has(key)) fail(key, `is an option, not part of the server: mcpTools(server, { ${key} })`)
  const listed = 'command' in s ? STDIO_KEYS : 'url' in s ? HTTP_KEYS : known
  const unknown = unknownKey(Object.keys(s), known, 'MCP server option', {}, listed)
  if (unknown) fail(unknown.key, unknown.problem)
  // Every key is known by now: one not of this server's transport is of the other.
  const transport = 'command' in s ? STDIO_KEYS : 'url' in s ? HTTP_KEYS : undefined
  const crossed =
    transport && Object.keys(s).find((key) => !transport.includes(key) && key !== 'command' && key !== 'url')
  if (crossed)
    fail(
      crossed,
      `is for ${transport === STDIO_KEYS ? 'servers reached by url' : 'servers started by command'}`,
    )
}

/** Refuses bad `mcpTools` options, naming the field and the value. */
export function checkOptions(options: McpToolsOptions): void {
  const bad = (field: string, message: string, value: unknown) =>
    new BatonError('INVALID_OPTIONS', `mcpTools: ${field} ${message}, got ${describe(value)}`, {
      details: { field, value },
    })
  if (typeof options !== 'object' || options === null || Array.isArray(options))
    throw bad('options', 'must be an object', options)
  const unknown = unknownKey(Object.keys(options), OPTION_KEYS, 'mcpTools option', { timeout: 'timeoutMs' })
  if (unknown)
    throw new BatonError('INVALID_OPTIONS', `mcpTools: ${unknown.key} ${unknown.problem}`, {
      details: { field: unknown.key },
    })
  const { prefix, include, exclude } = options
  if (prefix !== undefined && (typeof prefix !== 'string' || (prefix !== '' && !TOOL_NAME.test(prefix))))
    throw bad('prefix', 'must be letters, digits, "_" or "-"', prefix)
  for (const [field, list] of [
    ['include', include],
    ['exclude', exclude],
  ] as const) {
    if (list !== undefined && !(Array.isArray(list) && list.every((n) => typeof n === 'string')))
      throw bad(field, 'must be an array of MCP tool names', list)
  }
  for (const field of ['timeoutMs', 'connectTimeoutMs'] as const) {
    const ms = options[field]
    if (ms !== undefined && (typeof ms !== 'number' || !Number.isFinite(ms) || ms <= 0))
      throw bad(field, 'must be a positive number', ms)
    // Node fires a longer timer at once (after 1 ms), which would fail every call.
    if (ms !== undefined && ms > MAX_TIMER_MS)
      throw bad(
        field,
        `must be at most ${MAX_TIMER_MS} ms (about 24.8 days), the longest timer Node can set`,
        ms,
      )
  }
  const { elicitation, sampling, roots } = options
  if (elicitation !== undefined && typeof elicitation !== 'boolean')
    throw bad('elicitation', 'must be true or false', elicitation)
  if (sampling !== undefined) {
    if (typeof sampling !== 'object' || sampling === null || Array.isArray(sampling))
      throw bad('sampling', 'must be { model, maxTokens? }', sampling)
    const { model, maxTokens } = sampling
    const problem = typeof model === 'string' ? checkModelString(model) : undefined
    if (problem)
      throw new BatonError('INVALID_OPTIONS', `mcpTools: sampling.model ${problem}`, {
        details: { field: 'sampling.model', value: model },
      })
    if (typeof model !== 'string' && !isModel(model))
      throw bad('sampling.model', 'must be a model string or a Model', model)
    if (maxTokens !== undefined && !(Number.isInteger(maxTokens) && maxTokens > 0))
      throw bad('sampling.maxTokens', 'must be a positive whole number', maxTokens)
  }
  if (roots !== undefined) {
    if (!Array.isArray(roots)) throw bad('roots', 'must be an array of paths or file:// URIs', roots)
    for (const root of roots) {
      if (typeof root !== 'string' || root.trim() === '')
        throw bad('roots', 'must be an array of paths or file:// URIs', root)
      if (/^[a-z][a-z0-9+.-]*:\/\//i.test(root) && !root.startsWith('file://'))
        throw bad('roots', 'must hold paths or file:// URIs (roots are directories on this machine)', root)
      if (root.startsWith('file://') && !URL.canParse(root))
        throw bad('roots', 'holds a URI that does not parse', root)
    }
  }
}
