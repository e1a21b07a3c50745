export {
  defaultAuthFile,
  fileAuthStore,
  type McpAssertionTarget,
  type McpAuth,
  type McpAuthEntry,
  type McpAuthGrant,
  type McpAuthStore,
  type McpLoginOptions,
  type McpLoginResult,
  mcpLogin,
  memoryAuthStore,
} from './auth/index.js'
export type { McpHttpServer, McpServerConfig, McpStdioServer } from './connect.js'
export { McpToolError } from './convert.js'
export { type McpTools, type McpToolsOptions, mcpTools } from './mcp-tools.js'
