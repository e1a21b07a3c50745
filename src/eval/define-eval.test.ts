import { describe, expect, it } from 'vitest'
import { defineAgent } from '../agent/index.js'
import { BatonError } from '../errors/index.js'
import { scriptedModel } from '../testing/index.js'
import { defineEval, type EvalConfig, isEval } from './define-eval.js'
import { includes } from './scorers/index.js'

const agent = defineAgent({ name: 'a', instructions: 'x', model: scriptedModel([]) })
const base: EvalConfig = { name: 'basic', agent, cases: [{ name: 'one', input: 'go' }] }

function problem(config: unknown): BatonError {
  try {
    defineEval(config as EvalConfig)
  } catch (error) {
    if (error instanceof BatonError) return error
    throw error
  }
  throw new Error('expected defineEval to throw')
}

describe('defineEval', () => {
  it('makes an eval; an agent becomes a factory, case scorers are kept', () => {
    const scorer = includes('x')
    const definition = defineEval({
      ...base,
      cases: [{ name: 'one', input: { q: 1 }, scorers: [scorer] }],
      trials: 2,
    })
    expect(isEval(definition)).toBe(true)
    expect(isEval(agent)).toBe(false)
    expect(definition.agent({ case: 'one', trial: 1 })).toBe(agent)
    expect(definition.cases[0]!.scorers).toEqual([scorer])
    expect(definition).toMatchObject({ name: 'basic', trials: 2, concurrency: undefined, scorers: [] })
  })

  it('refuses names that cannot be file names, naming the field and the value', () => {
    const bad = problem({ ...base, cases: [{ name: 'a/b', input: 'go' }] })
    expect(bad.code).toBe('INVALID_DEFINITION')
    expect(bad.message).toBe(
      'eval "basic": cases[0].name must be 1-100 letters, digits, "_" or "-" (it names the cassette file), got "a/b"',
    )
    expect(bad.details).toEqual({ field: 'cases[0].name', value: 'a/b' })
    expect(problem({ ...base, name: 'my.eval' }).message).toMatch(
      /^defineEval: name must be .*got "my\.eval"/,
    )
    expect(problem({ ...base, cases: [{ name: 'case.2', input: 'go' }] }).details?.value).toBe('case.2')
  })

  it('refuses duplicate case names, whatever their case', () => {
    const cases = [
      { name: 'Late', input: 'a' },
      { name: 'late', input: 'b' },
    ]
    expect(problem({ ...base, cases }).message).toBe(
      'eval "basic": cases[1].name "late" is already used by cases[0] (case names must be unique)',
    )
  })

  it('checks every other field', () => {
    expect(problem({ ...base, agent: 'a' }).message).toMatch(
      /agent must be an agent made by defineAgent or a function/,
    )
    expect(problem({ ...base, cases: [] }).message).toMatch(/cases must be a non-empty array/)
    expect(problem({ ...base, cases: [{ name: 'x', input: '  ' }] }).message).toMatch(
      /cases\[0\]\.input is an empty string/,
    )
    expect(problem({ ...base, cases: [{ name: 'x', input: ['a'] }] }).message).toMatch(
      /cases\[0\]\.input must be a task: a string or a JSON object, got an array/,
    )
    expect(problem({ ...base, cases: [{ name: 'x', input: 'go', expect: 1 }] }).message).toMatch(
      /cases\[0\]\.expect is not a known case field \(did you mean expected\?\)/,
    )
    expect(problem({ ...base, scorers: [() => true] }).message).toMatch(/scorers\[0\] must be a scorer/)
    expect(problem({ ...base, trials: 0 }).message).toBe(
      'eval "basic": trials must be a whole number of 1 or more, got number 0',
    )
    expect(problem({ ...base, concurrency: 1.5 }).message).toMatch(/concurrency must be a whole number/)
    expect(problem({ ...base, model: 'gpt' }).message).toMatch(/^eval "basic": model /)
    expect(problem({ ...base, budget: { maxSteps: -1 } }).message).toMatch(/budget/)
    expect(problem({ ...base, scorer: [] }).message).toMatch(
      /scorer is not a known eval option \(did you mean scorers\?\)/,
    )
  })
})
