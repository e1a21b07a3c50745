/**
 * The shipped eval suites (evals/*.eval.ts) through `runEval`, as `baton eval` runs them: from
 * their committed cassettes they pass without calling a model, and a cassette that no longer
 * matches the agent fails its case with the case name, the step key and a diff.
 */
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Agent } from 'baton'
import { defineEval, type Eval, type EvalReport, runEval } from 'baton/eval'
import { afterAll, describe, expect, it } from 'vitest'
import supportDeskEval from '../evals/support-desk.eval.js'
import tripPlannerEval from '../evals/trip-planner.eval.js'

const SHIPPED = 'evals/cassettes'
const temp = mkdtempSync(join(tmpdir(), 'baton-evals-'))
afterAll(() => rmSync(temp, { recursive: true, force: true }))

/** The same eval, with every agent it makes kept (and optionally changed) so a test can look at its models. */
function watched(suite: Eval, change: (agent: Agent) => Agent = (agent) => agent) {
  const agents: Agent[] = []
  const definition = defineEval({
    name: suite.name,
    agent: (at) => {
      const agent = change(suite.agent(at) as Agent)
      agents.push(agent)
      return agent
    },
    cases: [...suite.cases],
    scorers: [...suite.scorers],
  })
  return { definition, agents }
}

/** Every model request the agents' scripted models received, sub-agents included. */
function modelCalls(agents: readonly Agent[]): number {
  const walk = (agent: Agent): number =>
    ((agent.model as { requests?: unknown[] }).requests?.length ?? 0) +
    agent.agents.reduce((n, child) => n + walk(child), 0)
  return agents.reduce((n, agent) => n + walk(agent), 0)
}

const failuresOf = (report: EvalReport) => report.evals[0]!.results.filter((r) => !r.pass)

describe.each([
  ['support-desk', supportDeskEval, 6],
  ['trip-planner', tripPlannerEval, 3],
] as const)('the shipped %s suite', (name, suite, cases) => {
  it('passes in replay mode from its cassettes, with no model call', async () => {
    const { definition, agents } = watched(suite as Eval)
    const report = await runEval(definition, { mode: 'replay', cassetteDir: SHIPPED })
    expect(failuresOf(report)).toEqual([])
    expect(report.summary).toMatchObject({ cases, runs: cases, passed: cases, passRate: 1, passAtK: 1 })
    expect(agents).toHaveLength(cases)
    expect(modelCalls(agents)).toBe(0)
    for (const result of report.evals[0]!.results) {
      expect(result.cassette).toBe(join(SHIPPED, name, `${result.case}.jsonl`))
      expect(result.steps).toBeGreaterThan(0)
      expect(result.inputTokens).toBeGreaterThan(0)
      expect(result.scores.length).toBeGreaterThanOrEqual(4)
    }
  })

  it('records cassettes in record mode by calling the (scripted) models', async () => {
    const dir = join(temp, `record-${name}`)
    const { definition, agents } = watched(suite as Eval)
    const report = await runEval(definition, { mode: 'record', cassetteDir: dir })
    expect(failuresOf(report)).toEqual([])
    expect(modelCalls(agents)).toBe(sumSteps(report))
    expect(readdirSync(join(dir, name)).sort()).toEqual(readdirSync(join(SHIPPED, name)).sort())
  })
})

function sumSteps(report: EvalReport): number {
  return report.evals[0]!.results.reduce((n, r) => n + r.steps, 0)
}

describe('a cassette that no longer matches', () => {
  it('fails when the agent changed, naming the case, the step and the difference', async () => {
    const { definition, agents } = watched(supportDeskEval as Eval, (agent) => ({
      ...agent,
      instructions: `${agent.instructions}\nAlways sign the reply as "The Support Team".`,
    }))
    const report = await runEval(definition, { mode: 'replay', cassetteDir: SHIPPED })
    expect(report.summary.passed).toBe(0)
    expect(modelCalls(agents)).toBe(0)
    const late = report.evals[0]!.results.find((r) => r.case === 'late-order')!
    expect(late.pass).toBe(false)
    expect(late.error?.code).toBe('REPLAY_DIVERGENCE')
    const failure = late.failure!
    expect(failure).toContain('case "late-order"')
    expect(failure).toContain(join(SHIPPED, 'support-desk', 'late-order.jsonl'))
    expect(failure).toContain('diverges at step root/1/model')
    expect(failure).toMatch(/^-.*You triage messages/m)
    expect(failure).toMatch(/^\+.*Always sign the reply as/m)
    expect(failure).toContain('baton eval --mode record')
  })

  it('fails when a recorded answer was tampered with, at the step that sees it', async () => {
    const dir = join(temp, 'tampered')
    cpSync(SHIPPED, dir, { recursive: true })
    const file = join(dir, 'support-desk', 'late-order.jsonl')
    const recorded = readFileSync(file, 'utf8')
    const tampered = recorded.replace(/(\\"status\\":\\")in transit/, '$1delivered')
    expect(tampered).not.toBe(recorded)
    writeFileSync(file, tampered)

    const { definition, agents } = watched(supportDeskEval as Eval)
    const report = await runEval(definition, { mode: 'replay', cassetteDir: dir })
    expect(modelCalls(agents)).toBe(0)
    const failed = failuresOf(report)
    expect(failed.map((r) => r.case)).toEqual(['late-order'])
    const failure = failed[0]!.failure!
    expect(failure).toContain(`case "late-order": the cassette ${file} diverges at step root/2/model`)
    expect(failure).toMatch(/^-.*in transit/m)
    expect(failure).toMatch(/^\+.*delivered/m)
  })

  it('fails clearly when the cassette is missing, and never calls the model', async () => {
    const dir = join(temp, 'missing')
    cpSync(SHIPPED, dir, { recursive: true })
    rmSync(join(dir, 'trip-planner', 'lisbon-1-day.jsonl'))
    const { definition, agents } = watched(tripPlannerEval as Eval)
    const report = await runEval(definition, { mode: 'replay', cassetteDir: dir })
    expect(modelCalls(agents)).toBe(0)
    const failed = failuresOf(report)
    expect(failed.map((r) => r.case)).toEqual(['lisbon-1-day'])
    expect(failed[0]!.error?.code).toBe('REPLAY_MISSING')
    expect(failed[0]!.failure).toBe(
      `case "lisbon-1-day": no cassette at ${join(dir, 'trip-planner', 'lisbon-1-day.jsonl')}; record it with \`baton eval --mode record\``,
    )
    expect(existsSync(join(dir, 'trip-planner', 'lisbon-1-day.jsonl'))).toBe(false)
  })
})

describe('the shipped scorers', () => {
  it('fail a case whose expectations the agent does not meet, saying why', async () => {
    const suite = supportDeskEval as Eval
    const definition = defineEval({
      name: suite.name,
      agent: suite.agent,
      cases: [
        {
          ...suite.cases.find((c) => c.name === 'refund')!,
          expected: { category: 'shipping', priority: 'normal' },
        },
      ],
      scorers: [...suite.scorers],
    })
    const report = await runEval(definition, { mode: 'replay', cassetteDir: SHIPPED })
    const [row] = report.evals[0]!.results
    expect(row!.pass).toBe(false)
    expect(row!.failure).toBe('triage: expected category "shipping", got category "refund"')
    expect(row!.score).toBeCloseTo((1 + 0.5 + 1 + 1) / 4)
  })
})

describe('a scorer that returns what is not a score', () => {
  it('fails its case with an error naming the scorer and what it returned', async () => {
    const suite = supportDeskEval as Eval
    const odd = { kind: 'baton.scorer' as const, name: 'odd', score: async () => ({ pass: 'yes' }) as never }
    const definition = defineEval({
      name: suite.name,
      agent: suite.agent,
      cases: [suite.cases.find((c) => c.name === 'refund')!],
      scorers: [odd],
    })
    const report = await runEval(definition, { mode: 'replay', cassetteDir: SHIPPED })
    const [row] = report.evals[0]!.results
    expect(row!.pass).toBe(false)
    // The case's own scorers still run; the odd one fails with what it returned.
    expect(row!.scores.find((score) => score.name === 'odd')).toEqual({
      name: 'odd',
      pass: false,
      score: 0,
      reason: expect.stringMatching(/^returned \{"pass":"yes"\}, not a score: /),
    })
    expect(row!.error?.message).toMatch(/scorer "odd" returned \{"pass":"yes"\}, not a score/)
  })
})
