export {
  checkModelString,
  MODEL_PROVIDERS,
  type ProviderFactory,
  registerProvider,
  resolveModel,
} from './resolve-model.js'
export * from './types.js'
