export { checkModelString, MODEL_PROVIDERS, type ModelProvider, parseModelString } from './model-string.js'
export { deltasOf, type ModelDelta, streamCall } from './stream-call.js'
export * from './types.js'
