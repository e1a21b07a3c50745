/**
 * A research lead that delegates: a researcher finds facts (in local notes, or on the web with
 * http_fetch) and an analyst works them out (with a calculator), then the lead answers.
 *
 *   npm run demo                                   offline: replays agents/recordings/research-lead.jsonl
 *   OPENAI_API_KEY=sk-... npm run demo             live, on openai:gpt-4o-mini
 *   ANTHROPIC_API_KEY=sk-ant-... npm run demo      live, on anthropic:claude-haiku-4-5
 */
import { fileURLToPath } from 'node:url'
import { defineAgent, defineTool, type Model } from 'baton'
import { httpFetch, workspaceTools } from 'baton/tools'
import { z } from 'zod'

/** The recorded run `baton run` replays when no API key is set (see agents/recordings/record.ts). */
export const recording = fileURLToPath(new URL('./recordings/research-lead.jsonl', import.meta.url))

/** The question the recording answers. */
export const question = 'How much bigger is Lisbon than Porto, by population and by area?'

/** The model the example runs on live: whichever provider has a key. */
export function liveModel(): string {
  return process.env.ANTHROPIC_API_KEY && !process.env.OPENAI_API_KEY
    ? 'anthropic:claude-haiku-4-5'
    : 'openai:gpt-4o-mini'
}

const calculate = defineTool({
  name: 'calculate',
  description:
    'Evaluates an arithmetic expression (numbers, + - * / and parentheses) and returns the number.',
  input: z.object({ expression: z.string().max(200) }),
  run: ({ expression }) => {
    const value = evaluate(expression)
    if (!Number.isFinite(value)) throw new Error(`"${expression}" does not give a finite number`)
    return Math.round(value * 1e6) / 1e6
  },
})

/** A fresh research lead on `model` (every agent of the team uses it). */
export function researchLead(model: Model | string = liveModel()) {
  const researcher = defineAgent({
    name: 'researcher',
    description: 'Finds facts, with their sources: in the team notes first, then on the web.',
    instructions: new URL('../prompts/fact-finder.md', import.meta.url),
    model,
    tools: [
      ...workspaceTools({ root: fileURLToPath(new URL('./data/research', import.meta.url)), readOnly: true }),
      httpFetch(),
    ],
    budget: { maxSteps: 8 },
  })
  const analyst = defineAgent({
    name: 'analyst',
    description: 'Works out comparisons, ratios and differences from notes it is given.',
    instructions: new URL('../prompts/analyst.md', import.meta.url),
    model,
    tools: [calculate],
    output: z.object({ findings: z.array(z.string()), figures: z.record(z.string(), z.number()) }),
    budget: { maxSteps: 6 },
  })
  return defineAgent({
    name: 'research-lead',
    description: 'Answers a question by delegating the finding and the working out.',
    instructions: new URL('../prompts/research-lead.md', import.meta.url),
    model,
    agents: [researcher, analyst],
    budget: { maxSteps: 24, maxCostUsd: 0.5 },
  })
}

export default researchLead()

/** + - * / and parentheses over decimal numbers; nothing else is accepted. */
function evaluate(source: string): number {
  const tokens = source.match(/\d+(?:\.\d+)?|[-+*/()]|\S/g) ?? []
  let at = 0
  const peek = () => tokens[at]
  const take = () => tokens[at++]
  const primary = (): number => {
    const token = take()
    if (token === '(') {
      const value = sum()
      if (take() !== ')') throw new Error(`a ")" is missing in "${source}"`)
      return value
    }
    if (token === '-') return -primary()
    if (token !== undefined && /^\d/.test(token)) return Number(token)
    throw new Error(`unexpected ${token === undefined ? 'end' : `"${token}"`} in "${source}"`)
  }
  const product = (): number => {
    let value = primary()
    while (peek() === '*' || peek() === '/') value = take() === '*' ? value * primary() : value / primary()
    return value
  }
  const sum = (): number => {
    let value = product()
    while (peek() === '+' || peek() === '-') value = take() === '+' ? value + product() : value - product()
    return value
  }
  const value = sum()
  if (at !== tokens.length) throw new Error(`unexpected "${peek()}" in "${source}"`)
  return value
}
