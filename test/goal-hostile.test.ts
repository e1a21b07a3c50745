/**
 * Goal checks and scorers that misbehave, a judge model that answers badly, and final answers
 * built to break the output check. Each run ends with a typed outcome and a message naming what
 * is wrong, and its transcript reads back and replays to the same result.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { defineEval, runEval } from '../src/eval/index.js'
import {
  type Agent,
  defineAgent,
  isErrorCode,
  judge,
  type ModelRequest,
  type RunResult,
  readTranscript,
  replay,
  run,
  type Scorer,
  transcriptResult,
} from '../src/index.js'
import { fakeClock, type ScriptEntry, scriptedModel } from '../src/testing/index.js'

const dir = mkdtempSync(join(tmpdir(), 'baton-goal-hostile-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
let n = 0
const file = () => join(dir, `run-${++n}.jsonl`)

const lastUser = (request: ModelRequest | undefined) => {
  const last = request?.messages.at(-1)
  return last?.role === 'user' ? last.content : ''
}

/** The transcript reads back to the run's result, and a replay ends the same way. */
async function replaysTheSame(record: string, agent: Agent, result: RunResult): Promise<void> {
  const folded = transcriptResult(readTranscript(record))
  expect(folded?.status).toBe(result.status)
  expect(folded?.stopReason).toBe(result.stopReason)
  expect(folded?.error).toEqual(result.error)
  const again = await replay(record, agent)
  expect(again.status).toBe(result.status)
  expect(again.stopReason).toBe(result.stopReason)
  expect(again.error).toEqual(result.error)
  expect(again.output).toEqual(result.output)
}

/** A typed end: a status, a stop reason that is no class name, and a code from ErrorCode. */
function typed(result: RunResult): void {
  expect(result.stopReason).not.toMatch(/Error$/)
  if (result.error) expect(isErrorCode(result.error.code)).toBe(true)
  expect(result.error?.code).not.toBe('INTERNAL')
}

function answering(goal: unknown, steps: ScriptEntry[] = [{ text: 'answer' }], extra: object = {}) {
  const model = scriptedModel(steps)
  return { model, agent: defineAgent({ name: 'a', instructions: 'x', model, goal: goal as never, ...extra }) }
}

describe('a goal function that throws what is not an Error', () => {
  it.each([
    ['a string', 'no way', 'no way'],
    ['undefined', undefined, 'undefined'],
    ['null', null, 'null'],
    ['an object with a message', { message: 'broken check', code: 'X' }, 'broken check'],
    ['a plain object', { why: 'bad' }, '{"why":"bad"}'],
  ])('%s ends the run GOAL_CHECK_FAILED, showing what was thrown', async (_, thrown, shown) => {
    const { agent } = answering(() => {
      throw thrown
    })
    const record = file()
    const result = await run(agent, 'go', { record })
    typed(result)
    expect(result.status).toBe('error')
    expect(result.stopReason).toBe('GOAL_CHECK_FAILED')
    expect(result.error?.message).toBe(`goal[0] threw: ${shown}`)
    expect(result.error?.message).not.toContain('[object Object]')
    await replaysTheSame(record, agent, result)
  })
})

describe('a goal function that returns what is not a verdict', () => {
  it.each([
    ['a number', () => 1, 'number 1'],
    ['undefined', () => undefined, 'undefined'],
    ['a promise of a number', () => Promise.resolve(42), 'number 42'],
    ['a promise of undefined', () => Promise.resolve(undefined), 'undefined'],
    ['an object', () => ({ pass: true }), '{"pass":true}'],
  ])('%s ends the run GOAL_CHECK_FAILED naming the value', async (_, goal, shown) => {
    const { agent } = answering(goal)
    const record = file()
    const result = await run(agent, 'go', { record })
    typed(result)
    expect(result.status).toBe('error')
    expect(result.error?.code).toBe('GOAL_CHECK_FAILED')
    expect(result.error?.message).toContain(`returned ${shown}, not a verdict`)
    await replaysTheSame(record, agent, result)
  })
})

describe('a goal check that never settles', () => {
  it("is abandoned when the run's deadline passes", async () => {
    const clock = fakeClock()
    const { agent } = answering(() => {
      setTimeout(() => clock.advance(1000), 0)
      return new Promise(() => {})
    })
    const result = await run(agent, 'go', { clock, budget: { maxWallMs: 1000 } })
    expect(result.status).toBe('budget_exceeded')
    expect(result.stopReason).toBe('maxWallMs')
  })

  it("is abandoned when the run's signal aborts", async () => {
    const controller = new AbortController()
    const { agent } = answering(() => {
      queueMicrotask(() => controller.abort())
      return new Promise(() => {})
    })
    const record = file()
    const result = await run(agent, 'go', { signal: controller.signal, record })
    expect(result.status).toBe('aborted')
    expect(transcriptResult(readTranscript(record))?.status).toBe('aborted')
  })
})

describe('the goal attempts limit', () => {
  it('ends goal_failed after maxGoalAttempts, the last failure sending no feedback', async () => {
    const { model, agent } = answering(() => 'not yet', [{ text: 'a' }, { text: 'b' }], {
      maxGoalAttempts: 2,
    })
    const record = file()
    const result = await run(agent, 'go', { record })
    typed(result)
    expect(result.status).toBe('goal_failed')
    expect(result.stopReason).toBe('goal')
    expect(result.usage.steps).toBe(2)
    expect(model.requests).toHaveLength(2)
    expect(result.error?.message).toContain('not yet')
    await replaysTheSame(record, agent, result)
  })
})

describe('scores out of range', () => {
  it('a scorer whose score is outside [0, 1] is a GOAL_CHECK_FAILED naming it, not a pass', async () => {
    const wild: Scorer = { kind: 'baton.scorer', name: 'wild', score: () => ({ pass: true, score: 42 }) }
    const { agent } = answering(wild)
    const record = file()
    const result = await run(agent, 'go', { record })
    typed(result)
    expect(result.status).toBe('error')
    expect(result.error?.code).toBe('GOAL_CHECK_FAILED')
    expect(result.error?.message).toContain('wild returned')
    expect(result.error?.message).toContain('42')
    await replaysTheSame(record, agent, result)
  })

  it('the same scorer in an eval fails its case the same way, instead of being clamped to a pass', async () => {
    const wild: Scorer = { kind: 'baton.scorer', name: 'wild', score: () => ({ pass: true, score: 1.5 }) }
    const definition = defineEval({
      name: 'wild-scores',
      agent: () => defineAgent({ name: 'a', instructions: 'x', model: scriptedModel([{ text: 'answer' }]) }),
      cases: [{ name: 'one', input: 'go' }],
      scorers: [wild],
    })
    const report = await runEval(definition, { mode: 'live' })
    const [row] = report.evals[0]!.results
    expect(row!.pass).toBe(false)
    expect(row!.scores[0]).toMatchObject({ name: 'wild', pass: false, score: 0 })
    expect(row!.error?.code).toBe('GOAL_CHECK_FAILED')
    expect(row!.error?.message).toContain('scorer "wild" returned {"pass":true,"score":1.5}')
  })
})

describe('a judge whose model answers badly', () => {
  function judged(reply: ScriptEntry, attempts = 2) {
    const judgeModel = scriptedModel(Array.from({ length: attempts }, () => reply))
    const { model, agent } = answering(
      judge({ model: judgeModel, rubric: 'Says hello' }),
      Array.from({ length: attempts }, () => ({ text: 'hello' })),
      { maxGoalAttempts: attempts },
    )
    return { model, agent }
  }

  it.each([
    ['a score above 1', '{"pass":true,"score":7,"reason":"great"}', 'score 7'],
    ['a negative score', '{"pass":true,"score":-3,"reason":"great"}', 'score -3'],
  ])('%s does not pass, and the feedback says the score is out of range', async (_, reply, said) => {
    const { model, agent } = judged({ text: reply })
    const record = file()
    const result = await run(agent, 'go', { record })
    typed(result)
    expect(result.status).toBe('goal_failed')
    expect(lastUser(model.requests[1])).toContain(said)
    expect(lastUser(model.requests[1])).toContain('from 0 to 1')
    await replaysTheSame(record, agent, result)
  })

  it.each([
    ['garbage', 'lol', 'did not reply with JSON'],
    ['a string score', '{"pass":true,"score":"1","reason":"x"}', 'lacks "pass" or "score"'],
    ['an array', '[1,2]', 'lacks "pass" or "score"'],
    ['null', 'null', 'lacks "pass" or "score"'],
  ])('%s does not pass, with feedback naming what the judge got wrong', async (_, reply, said) => {
    const { model, agent } = judged({ text: reply })
    const record = file()
    const result = await run(agent, 'go', { record })
    typed(result)
    expect(result.status).toBe('goal_failed')
    expect(lastUser(model.requests[1])).toContain(said)
    await replaysTheSame(record, agent, result)
  })

  it('a refusal is reported as the refusal it is', async () => {
    const { model, agent } = judged({ text: 'I will not grade this.', finishReason: 'refusal' })
    const record = file()
    const result = await run(agent, 'go', { record })
    typed(result)
    expect(result.status).toBe('goal_failed')
    expect(lastUser(model.requests[1])).toContain('the judge refused to grade')
    expect(lastUser(model.requests[1])).toContain('I will not grade this.')
    await replaysTheSame(record, agent, result)
  })

  it('a judge model that throws a non-Error ends the run GOAL_CHECK_FAILED', async () => {
    const { agent } = judged(() => {
      throw 'judge down'
    }, 1)
    const record = file()
    const result = await run(agent, 'go', { record })
    typed(result)
    expect(result.status).toBe('error')
    expect(result.error?.code).toBe('GOAL_CHECK_FAILED')
    expect(result.error?.message).toContain('judge down')
    await replaysTheSame(record, agent, result)
  })
})

describe('hostile output for an output schema', () => {
  type Node = { c?: Node }
  const NodeSchema: z.ZodType<Node> = z.lazy(() => z.object({ c: NodeSchema.optional() }))
  const nested = (levels: number) => `${'{"c":'.repeat(levels)}{}${'}'.repeat(levels)}`

  it('nested deeper than a transcript keeps is feedback to the model, not a stack overflow', async () => {
    const deep = nested(20_000)
    const model = scriptedModel([{ text: deep }, { text: nested(3) }])
    const agent = defineAgent({ name: 'a', instructions: 'x', model, output: NodeSchema })
    const record = file()
    const result = await run(agent, 'go', { record })
    typed(result)
    expect(result.status).toBe('done')
    expect(lastUser(model.requests[1])).toContain('nests deeper than')
    await replaysTheSame(record, agent, result)
  })

  it('nested deep but within the limit is taken whole and reads back', async () => {
    const model = scriptedModel([{ text: nested(900) }])
    const agent = defineAgent({ name: 'a', instructions: 'x', model, output: z.unknown() })
    const record = file()
    const result = await run(agent, 'go', { record })
    expect(result.status).toBe('done')
    await replaysTheSame(record, agent, result)
  })

  it('wrong in thousands of places: the feedback lists the first problems and counts the rest', async () => {
    const many = JSON.stringify({ a: Array.from({ length: 10_000 }, () => 'x') })
    const model = scriptedModel([{ text: many }, { text: many }])
    const agent = defineAgent({
      name: 'a',
      instructions: 'x',
      model,
      output: z.object({ a: z.array(z.number()) }),
      maxGoalAttempts: 2,
    })
    const record = file()
    const result = await run(agent, 'go', { record })
    typed(result)
    expect(result.status).toBe('goal_failed')
    const feedback = lastUser(model.requests[1])
    expect(feedback).toContain('at a[0]')
    expect(feedback).toMatch(/- … and \d+ more issues not shown/)
    expect(feedback.length).toBeLessThan(5_000)
    expect(result.error!.message.length).toBeLessThan(5_000)
    await replaysTheSame(record, agent, result)
  })

  it('an answer with a "__proto__" key pollutes nothing and fools no goal check', async () => {
    const seen: unknown[] = []
    const model = scriptedModel([{ text: '{"__proto__":{"isAdmin":true},"a":1}' }])
    const agent = defineAgent({
      name: 'a',
      instructions: 'x',
      model,
      output: z.record(z.string(), z.unknown()),
      goal: (output) => {
        seen.push((output as { isAdmin?: unknown }).isAdmin)
        return true
      },
    })
    const record = file()
    const result = await run(agent, 'go', { record })
    expect(result.status).toBe('done')
    expect(seen).toEqual([undefined])
    expect(({} as { isAdmin?: unknown }).isAdmin).toBeUndefined()
    await replaysTheSame(record, agent, result)
  })

  it('an output schema that throws ends the run GOAL_CHECK_FAILED, naming it', async () => {
    const model = scriptedModel([{ text: '{"a":1}' }])
    const agent = defineAgent({
      name: 'a',
      instructions: 'x',
      model,
      output: z.object({ a: z.number() }).refine(() => {
        throw 'refine exploded'
      }),
    })
    const record = file()
    const result = await run(agent, 'go', { record })
    typed(result)
    expect(result.status).toBe('error')
    expect(result.error?.code).toBe('GOAL_CHECK_FAILED')
    expect(result.error?.message).toContain('output schema threw')
    expect(result.error?.message).toContain('refine exploded')
    await replaysTheSame(record, agent, result)
  })
})
