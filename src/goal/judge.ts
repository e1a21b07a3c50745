import { BatonError } from '../errors/index.js'
import { checkModelString } from '../model/model-string.js'
import { isModel, type Model } from '../model/types.js'
import { describe } from '../schema/index.js'
import { unknownKey } from '../schema/known-keys.js'
import type { Score, Scorer } from './types.js'

export interface JudgeOptions {
  /** The grading model (a model object or a model string). */
  model: Model | string
  /** What a good answer does, in plain words. */
  rubric: string
  /** Minimum score in [0, 1] to pass. Default 0.7. */
  threshold?: number
  name?: string
}

const GRADE_SCHEMA = {
  type: 'object',
  properties: {
    pass: { type: 'boolean' },
    score: { type: 'number', minimum: 0, maximum: 1 },
    reason: { type: 'string' },
  },
  required: ['pass', 'score', 'reason'],
  additionalProperties: false,
}

/**
 * An LLM grader: asks `model` to grade the answer against `rubric` and reply with
 * `{ pass, score, reason }`. Serves as a goal check and as an eval scorer.
 *
 * @example
 * defineAgent({ ..., goal: judge({ model: 'openai:gpt-4o-mini', rubric: 'Cites at least two sources' }) })
 */
export function judge(options: JudgeOptions): Scorer {
  checkJudge(options)
  const threshold = options.threshold ?? 0.7
  return {
    kind: 'baton.scorer',
    name: options.name ?? 'judge',
    async score(input, ctx) {
      const task = typeof input.task === 'string' ? input.task : JSON.stringify(input.task, null, 2)
      const response = await ctx.generate(options.model, {
        messages: [
          {
            role: 'system',
            content:
              'You are a strict grader. Grade the answer against the rubric only. Reply with one JSON object: {"pass": boolean, "score": number from 0 to 1, "reason": string}.',
          },
          {
            role: 'user',
            content: `Task:\n${task}\n\nRubric:\n${options.rubric}\n\nAnswer to grade:\n${input.text}`,
          },
        ],
        tools: [],
        output: { name: 'grade', schema: GRADE_SCHEMA },
      })
      const { finishReason } = response
      if (finishReason === 'refusal' || finishReason === 'content-filter')
        return {
          pass: false,
          score: 0,
          reason: `the judge refused to grade: ${JSON.stringify(response.message.content.slice(0, 200))}`,
        }
      return readGrade(response.message.content, threshold)
    },
  }
}

const JUDGE_KEYS: ReadonlySet<string> = new Set(['model', 'rubric', 'threshold', 'name'])

/** Refuses options a judge cannot grade with, naming the one that is wrong. */
function checkJudge(options: JudgeOptions): void {
  const fail = (message: string): never => {
    throw new BatonError('INVALID_DEFINITION', `judge: ${message}`)
  }
  if (typeof options !== 'object' || options === null)
    fail(`expected options { model, rubric, threshold?, name? }, got ${describe(options)}`)
  const unknown = unknownKey(Object.keys(options), JUDGE_KEYS, 'judge option', {
    criteria: 'rubric',
    prompt: 'rubric',
    instructions: 'rubric',
    passScore: 'threshold',
    minScore: 'threshold',
  })
  if (unknown) fail(`${unknown.key} ${unknown.problem}`)
  const { model, rubric, threshold, name } = options
  if (typeof model === 'string') {
    const problem = checkModelString(model)
    if (problem) fail(`model ${problem}`)
  } else if (!isModel(model)) fail(`model must be a model string or a Model, got ${describe(model)}`)
  if (typeof rubric !== 'string' || rubric.trim() === '')
    fail(`rubric must say in words what a good answer does, got ${describe(rubric)}`)
  if (threshold !== undefined && !(typeof threshold === 'number' && threshold >= 0 && threshold <= 1))
    fail(`threshold must be a number from 0 to 1, got ${describe(threshold)}`)
  if (name !== undefined && (typeof name !== 'string' || name.trim() === ''))
    fail(`name must be a non-empty string, got ${describe(name)}`)
}

function readGrade(text: string, threshold: number): Score {
  const body = text.trim().replace(/^```(?:json)?\s*\n?|\n?```$/g, '')
  let grade: { pass?: unknown; score?: unknown; reason?: unknown }
  try {
    grade = JSON.parse(body)
  } catch {
    return {
      pass: false,
      score: 0,
      reason: `the judge did not reply with JSON: ${JSON.stringify(text.slice(0, 200))}`,
    }
  }
  if (typeof grade?.score !== 'number' || typeof grade.pass !== 'boolean') {
    return {
      pass: false,
      score: 0,
      reason: `the judge reply lacks "pass" or "score": ${JSON.stringify(text.slice(0, 200))}`,
    }
  }
  // A grade off the scale is a judge that did not follow its instructions, not a pass.
  if (!(grade.score >= 0 && grade.score <= 1)) {
    return {
      pass: false,
      score: 0,
      reason: `the judge gave score ${grade.score}, not a number from 0 to 1: ${JSON.stringify(text.slice(0, 200))}`,
    }
  }
  const reason = typeof grade.reason === 'string' ? grade.reason : ''
  return { pass: grade.pass && grade.score >= threshold, score: grade.score, reason }
}
