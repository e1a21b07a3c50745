/**
 * Token counts as providers report them → Baton's `Usage`, where cached input is a part of
 * `inputTokens` and reasoning a part of `outputTokens` (which is what prices are applied to).
 *
 * Providers disagree on what the headline counts include. OpenAI counts reasoning inside
 * `completion_tokens` and cached tokens inside `prompt_tokens`; xAI reports reasoning next to
 * `completion_tokens` (only `total_tokens` includes it); some servers report cached tokens next
 * to the prompt. The headline counts alone cannot say which shape a response has, so the rule is:
 * a part larger than its headline count cannot be inside it; otherwise, when a total is given,
 * the shape whose sum equals it wins (inclusive when several do); with no total, inclusive. What
 * a total counts beyond all of that is reasoning reported nowhere else, and is output.
 */
import type { Usage } from '../model/types.js'

export interface ReportedUsage {
  /** The headline input count (`prompt_tokens`, `input_tokens`). */
  input?: unknown
  /** The headline output count (`completion_tokens`, `output_tokens`). */
  output?: unknown
  /** The provider's own total, when it gives one. */
  total?: unknown
  /** Input tokens read from a cache. */
  cached?: unknown
  /** Output tokens spent on reasoning. */
  reasoning?: unknown
}

/** Normalises one response's counts (see the module comment for the rule). */
export function normalizeUsage(reported: ReportedUsage): Usage {
  const input = count(reported.input)
  const output = count(reported.output)
  const cached = count(reported.cached)
  const reasoning = count(reported.reasoning)
  const total = reported.total === undefined || reported.total === null ? undefined : count(reported.total)
  const { cachedOutside, reasoningOutside } = shape(input, output, cached, reasoning, total)
  const usage: Usage = {
    inputTokens: input + (cachedOutside ? cached : 0),
    outputTokens: output + (reasoningOutside ? reasoning : 0),
  }
  // A total above every count it could be made of has reasoning nobody itemised (Gemini's
  // compatible endpoint counts its thoughts in the total only): it is billed as output.
  const unlisted = total === undefined ? 0 : total - usage.inputTokens - usage.outputTokens
  const thought = reasoning + Math.max(0, unlisted)
  usage.outputTokens += Math.max(0, unlisted)
  if (cached > 0) usage.cachedInputTokens = cached
  if (thought > 0) usage.reasoningTokens = thought
  return usage
}

interface Shape {
  cachedOutside: boolean
  reasoningOutside: boolean
}

function shape(input: number, output: number, cached: number, reasoning: number, total?: number): Shape {
  // A part cannot be inside a smaller headline count.
  const cachedForced = cached > input
  const reasoningForced = reasoning > output
  const candidates: Shape[] = []
  for (const cachedOutside of [false, true]) {
    for (const reasoningOutside of [false, true]) {
      if (cachedForced && !cachedOutside) continue
      if (reasoningForced && !reasoningOutside) continue
      candidates.push({ cachedOutside, reasoningOutside })
    }
  }
  const sum = (s: Shape) =>
    input + output + (s.cachedOutside ? cached : 0) + (s.reasoningOutside ? reasoning : 0)
  // Inclusive shapes come first, so an equal sum (a zero part) keeps the inclusive reading.
  const matching = total === undefined ? undefined : candidates.find((s) => sum(s) === total)
  return matching ?? candidates[0]!
}

function count(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? Math.round(value) : 0
}
