export { agentRefProblem, childAgent, isAgentRef } from './agent-refs.js'
export { agentTree } from './agent-tree.js'
export { lineRecord } from './chain.js'
export { parseTranscript, readTranscript } from './reader.js'
export { redactSecrets } from './redact.js'
export {
  type AgentNode,
  type AgentRef,
  type AgentTree,
  TRANSCRIPT_VERSION,
  type Transcript,
  type TranscriptHeader,
} from './types.js'
export { TranscriptWriter } from './writer.js'
