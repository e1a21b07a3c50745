import { BatonError } from '../errors/index.js'
import { describe } from '../schema/index.js'
import { unknownKey } from '../schema/known-keys.js'
import type { ReplayMode } from './replay.js'

const REPLAY_KEYS = [
  'strict',
  'liveTools',
  'model',
  'recordedModels',
  'prices',
  'record',
  'signal',
  'approve',
  'elicit',
  'clock',
  'ids',
  'tracer',
  'traceContent',
  'meter',
]
const KEYS: Record<ReplayMode, ReadonlySet<string>> = {
  replay: new Set(REPLAY_KEYS),
  resume: new Set([...REPLAY_KEYS.filter((key) => key !== 'liveTools'), 'budget']),
  fork: new Set([...REPLAY_KEYS, 'from', 'budget']),
}

/**
 * Checks the options of `replay`, `resume` and `fork` that the run they start does not check
 * itself: an unknown key, and the switches, which would be read as truthy or falsy otherwise
 * (`liveTools: 'no'` would run every tool for real).
 */
export function checkReplayOptions(mode: ReplayMode, options: unknown): void {
  if (typeof options !== 'object' || options === null || Array.isArray(options))
    throw new BatonError('INVALID_OPTIONS', `${mode}: options must be an object, got ${describe(options)}`)
  const given = options as Record<string, unknown>
  const unknown = unknownKey(Object.keys(given), KEYS[mode], `${mode} option`, {
    liveTools: mode === 'resume' ? 'fork (a resume reuses every recorded tool result)' : 'liveTools',
    maxSteps: 'budget: { maxSteps }',
    maxWallMs: 'budget: { maxWallMs }',
  })
  if (unknown)
    throw new BatonError('INVALID_OPTIONS', `${mode}: options.${unknown.key} ${unknown.problem}`, {
      details: { field: unknown.key },
    })
  const bad = (field: string, expected: string): never => {
    throw new BatonError(
      'INVALID_OPTIONS',
      `${mode}: options.${field} must be ${expected}, got ${describe(given[field])}`,
      { details: { field } },
    )
  }
  for (const flag of ['strict', 'liveTools', 'recordedModels', 'traceContent'])
    if (given[flag] !== undefined && typeof given[flag] !== 'boolean') bad(flag, 'true or false')
  if (given.record !== undefined && (typeof given.record !== 'string' || given.record === ''))
    bad('record', 'a file path')
  if (given.ids !== undefined && typeof given.ids !== 'function') bad('ids', 'a function (kind) => id')
  const clock = given.clock as { now?: unknown; setTimeout?: unknown } | undefined
  if (
    clock !== undefined &&
    (typeof clock !== 'object' ||
      clock === null ||
      typeof clock.now !== 'function' ||
      typeof clock.setTimeout !== 'function')
  )
    bad('clock', 'a Clock { now(), setTimeout(fn, ms) } (fakeClock() from baton/testing, say)')
}
