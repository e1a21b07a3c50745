export { type McpLoginOptions, type McpLoginResult, mcpLogin } from './login.js'
export {
  defaultAuthFile,
  fileAuthStore,
  type McpAuthEntry,
  type McpAuthStore,
  memoryAuthStore,
} from './store.js'
export type { McpAssertionTarget, McpAuth, McpAuthGrant } from './types.js'
