export { elicitationOf } from './elicitation.js'
export { agentPathOf, isSideCall } from './step-keys.js'
export type * from './types.js'
