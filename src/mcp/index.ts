export type { McpHttpServer, McpServerConfig, McpStdioServer } from './connect.js'
export { McpToolError } from './convert.js'
export { type McpTools, type McpToolsOptions, mcpTools } from './mcp-tools.js'
