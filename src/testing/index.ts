/**
 * @module baton/testing
 * Fakes for tests: a scripted model and a fake clock.
 */
export { type FakeClock, fakeClock } from './fake-clock.js'
export {
  countRequestTokens,
  type ScriptEntry,
  type ScriptedModel,
  type ScriptedModelOptions,
  type ScriptStep,
  scriptedModel,
} from './scripted-model.js'
