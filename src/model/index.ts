export {
  checkModelString,
  MODEL_PROVIDERS,
  type ProviderFactory,
  registerProvider,
  resolveModel,
} from './resolve-model.js'
export { deltasOf, type ModelDelta, streamCall } from './stream-call.js'
export * from './types.js'
