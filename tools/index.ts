/**
 * @module baton/tools
 * Ready-made tools: `http_fetch` (public addresses only, by default), the files of one
 * workspace directory, and shared memory.
 *
 * @example
 * import { httpFetch, memoryTools, workspaceTools } from 'baton/tools'
 * const tools = [httpFetch(), ...workspaceTools({ root: 'notes', readOnly: true }), ...memoryTools()]
 */
export { type HttpFetchInput, type HttpFetchOptions, type HttpFetchResult, httpFetch } from './http-fetch.js'
export { refusedAddress } from './ip-address.js'
export { memoryTools } from './memory.js'
export { type WorkspaceOptions, workspaceTools } from './workspace.js'
