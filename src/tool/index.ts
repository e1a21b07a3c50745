export { AwaitingInput } from './awaiting-input.js'
export { defineTool, isTool, isToolSet, TOOL_NAME, type ToolConfig } from './define-tool.js'
export { executeTool, resultMemoryKey, type ToolRun } from './execute-tool.js'
export { toolFailure, unknownTool } from './tool-errors.js'
export type {
  Tool,
  ToolContext,
  ToolErrorInfo,
  ToolFailure,
  ToolOutcome,
  ToolRelay,
  ToolSet,
  ToolSuccess,
} from './types.js'
