/**
 * A fake model server for a supervisor with two sub-agents, shared by every provider's wire
 * format. A request is first read into a provider-neutral view (who is asking: its system
 * prompt / instructions; which turn: how many tool results it carries); the scenario decides
 * the answer from that; the answer is then written in the provider's own wire format.
 *
 * The sub-agents' first requests wait at a gate until both have arrived (or a timeout passes),
 * so a run that delegates one after the other shows up in the timeline, not as a hang.
 */

import { type MessageJson, message, text, toolUse } from './anthropic.js'
import type { Answer, Json } from './openai-chat.js'
import { item, type ResponseSpec } from './openai-responses.js'

export type AgentName = 'lead' | 'researcher' | 'analyst'
export type SubAgent = Exclude<AgentName, 'lead'>

export const TASK =
  'Write a one-line field note on boiling water for the Quokka-Zebra expedition (task #7731).'
export const LEAD_INSTRUCTIONS =
  'You are the expedition lead. Split the work between your researcher and your analyst, then combine their findings.'
export const RESEARCHER_INSTRUCTIONS =
  'You are the researcher. Look facts up with the lookup tool and report them.'
export const ANALYST_INSTRUCTIONS =
  'You are the analyst. Do arithmetic only with the compute tool and answer with JSON.'
export const RESEARCH_BRIEF = 'Find the boiling point of water at sea level, in degrees Celsius.'
export const ANALYST_BRIEF = 'Convert 100 degrees Celsius to Fahrenheit.'

export const INSTRUCTIONS: Record<AgentName, string> = {
  lead: LEAD_INSTRUCTIONS,
  researcher: RESEARCHER_INSTRUCTIONS,
  analyst: ANALYST_INSTRUCTIONS,
}
export const BRIEFS: Record<SubAgent, string> = { researcher: RESEARCH_BRIEF, analyst: ANALYST_BRIEF }

/** What the lookup tool answers; the researcher's answer quotes it. */
export const LOOKUP_FACT = 'Water boils at 100 degrees Celsius at sea level (1 atm).'

/** Token counts of one answer. `input` includes `cached`. */
export interface Tokens {
  input: number
  output: number
  cached: number
}

/** Distinct counts per agent and turn, so that a call counted twice or missed shows in the sums. */
export const USAGE: Record<AgentName, [Tokens, Tokens]> = {
  lead: [
    { input: 211, output: 67, cached: 0 },
    { input: 389, output: 41, cached: 128 },
  ],
  researcher: [
    { input: 97, output: 23, cached: 0 },
    { input: 143, output: 31, cached: 0 },
  ],
  analyst: [
    { input: 101, output: 19, cached: 0 },
    { input: 157, output: 29, cached: 64 },
  ],
}

/** A request as the scenario reads it, whatever the provider. */
export interface WireView {
  /** The system prompt (Chat: system messages; Anthropic: `system`; Responses: `instructions`). */
  system: string
  /** Texts of the user turns (tool results excluded). */
  userTexts: string[]
  /** Conversation items besides the system prompt (messages / input items). */
  items: number
  toolNames: string[]
  /** Tool results, each with the id that links it to its call. */
  toolResults: { id: string; content: string }[]
  /** The assistant's earlier tool calls, as sent back. */
  calls: { id: string; name: string }[]
  /** Whether structured (JSON) output is asked for. */
  wantsJson: boolean
  stream: boolean
}

const textOf = (content: unknown): string => {
  if (typeof content === 'string') return content
  if (Array.isArray(content))
    return content
      .filter((part: Json) => part?.type === 'text' || part?.type === 'input_text')
      .map((part: Json) => String(part.text))
      .join('')
  return ''
}

/** Chat Completions (OpenAI and compatible servers). */
export function chatView(body: Json): WireView {
  const messages = (body.messages ?? []) as Json[]
  return {
    system: messages
      .filter((m) => m.role === 'system')
      .map((m) => textOf(m.content))
      .join('\n\n'),
    userTexts: messages.filter((m) => m.role === 'user').map((m) => textOf(m.content)),
    items: messages.filter((m) => m.role !== 'system').length,
    toolNames: ((body.tools ?? []) as Json[]).map((t) => t.function?.name),
    toolResults: messages
      .filter((m) => m.role === 'tool')
      .map((m) => ({ id: m.tool_call_id, content: textOf(m.content) })),
    calls: messages
      .filter((m) => m.role === 'assistant')
      .flatMap((m) => ((m.tool_calls ?? []) as Json[]).map((c) => ({ id: c.id, name: c.function?.name }))),
    wantsJson: body.response_format?.type === 'json_schema',
    stream: body.stream === true,
  }
}

/** Anthropic Messages. */
export function anthropicView(body: Json): WireView {
  const messages = (body.messages ?? []) as Json[]
  const blocks = (role: string) =>
    messages
      .filter((m) => m.role === role)
      .flatMap((m) =>
        typeof m.content === 'string' ? [{ type: 'text', text: m.content }] : m.content,
      ) as Json[]
  return {
    system: textOf(body.system),
    userTexts: blocks('user')
      .filter((b) => b.type === 'text')
      .map((b) => String(b.text)),
    items: messages.length,
    toolNames: ((body.tools ?? []) as Json[]).map((t) => t.name),
    toolResults: blocks('user')
      .filter((b) => b.type === 'tool_result')
      .map((b) => ({ id: b.tool_use_id, content: textOf(b.content) })),
    calls: blocks('assistant')
      .filter((b) => b.type === 'tool_use')
      .map((b) => ({ id: b.id, name: b.name })),
    wantsJson: textOf(body.system).includes('JSON Schema'),
    stream: body.stream === true,
  }
}

/** OpenAI Responses. */
export function responsesView(body: Json): WireView {
  const input = (
    typeof body.input === 'string' ? [{ role: 'user', content: body.input }] : body.input
  ) as Json[]
  return {
    system: typeof body.instructions === 'string' ? body.instructions : '',
    userTexts: input.filter((i) => i.role === 'user').map((i) => textOf(i.content)),
    items: input.length,
    toolNames: ((body.tools ?? []) as Json[]).map((t) => t.name),
    toolResults: input
      .filter((i) => i.type === 'function_call_output')
      .map((i) => ({ id: i.call_id, content: textOf(i.output) })),
    calls: input.filter((i) => i.type === 'function_call').map((i) => ({ id: i.call_id, name: i.name })),
    wantsJson: body.text?.format?.type === 'json_schema',
    stream: body.stream === true,
  }
}

/** One answer the scenario gives, before it is put in a provider's format. */
export interface Planned {
  agent: AgentName
  turn: number
  calls?: { id: string; name: string; args: object }[]
  text?: string
  usage: Tokens
}

/** The request and answer of one call, in arrival order. */
export interface Exchange {
  agent: AgentName
  turn: number
  view: WireView
  /** The request body as the server received it, as JSON text. */
  raw: string
  headers: Headers
  answer?: Planned
  problem?: string
}

/** The ids of the tool calls the scenario makes, in the provider's style. */
export type CallTag = 'delegateResearcher' | 'delegateAnalyst' | 'lookup' | 'compute'

export class Scenario {
  /** Every request, in arrival order. */
  readonly exchanges: Exchange[] = []
  /** `request:<agent>:<turn>` and `answer:<agent>:<turn>`, in the order they happened. */
  readonly timeline: string[] = []
  /** Whether both sub-agents' first requests were at the gate before it gave up. */
  gateMet: boolean | undefined
  private readonly arrived = new Set<SubAgent>()
  private release!: () => void
  private readonly bothArrived = new Promise<void>((resolve) => {
    this.release = resolve
  })

  constructor(
    private readonly idPrefix: string,
    private readonly gateMs = 1_000,
  ) {}

  id(tag: CallTag): string {
    const suffix = {
      delegateResearcher: 'R3s3archQ1',
      delegateAnalyst: 'AnaLyst7x2',
      lookup: 'L00kUp4f',
      compute: 'C0mpUt9z',
    }
    return `${this.idPrefix}${suffix[tag]}`
  }

  /** Answers one request, or says what is wrong with it (the handler then refuses it with a 400). */
  async respond(view: WireView, raw: string, headers: Headers): Promise<Planned | { problem: string }> {
    const agent = (['lead', 'researcher', 'analyst'] as const).find((name) =>
      view.system.startsWith(INSTRUCTIONS[name]),
    )
    // The lead gets two results back at once (its two delegations), a sub-agent one.
    const results = view.toolResults.length
    const turn = results === 0 ? 0 : results === (agent === 'lead' ? 2 : 1) ? 1 : results
    const exchange: Exchange = { agent: agent ?? 'lead', turn, view, raw, headers }
    this.exchanges.push(exchange)
    const fail = (problem: string) => {
      exchange.problem = problem
      return { problem }
    }
    if (!agent) return fail(`no agent has this system prompt: ${JSON.stringify(view.system.slice(0, 80))}`)
    this.timeline.push(`request:${agent}:${turn}`)
    if (agent !== 'lead' && turn === 0) await this.gate(agent)
    const planned = this.plan(agent, turn, view)
    if (typeof planned === 'string') return fail(planned)
    exchange.answer = planned
    this.timeline.push(`answer:${agent}:${turn}`)
    return planned
  }

  private async gate(agent: SubAgent): Promise<void> {
    this.arrived.add(agent)
    if (this.arrived.size === 2) {
      this.gateMet ??= true
      this.release()
      return
    }
    let timer: ReturnType<typeof setTimeout> | undefined
    const met = await Promise.race([
      this.bothArrived.then(() => true),
      new Promise<false>((resolve) => {
        timer = setTimeout(() => resolve(false), this.gateMs)
      }),
    ])
    clearTimeout(timer)
    if (!met) this.gateMet = false
  }

  /** The answer for an agent at a turn, or a problem. */
  private plan(agent: AgentName, turn: number, view: WireView): Planned | string {
    const usage = USAGE[agent][turn]
    if (!usage) return `${agent} sent an unexpected request (${view.toolResults.length} tool results)`
    const result = (tag: CallTag) => view.toolResults.find((r) => r.id === this.id(tag))?.content
    if (agent === 'lead') {
      if (turn === 0) {
        return {
          agent,
          turn,
          usage,
          calls: [
            {
              id: this.id('delegateResearcher'),
              name: 'delegate_researcher',
              args: { task: RESEARCH_BRIEF },
            },
            { id: this.id('delegateAnalyst'), name: 'delegate_analyst', args: { task: ANALYST_BRIEF } },
          ],
        }
      }
      const research = result('delegateResearcher')
      const analysis = result('delegateAnalyst')
      if (research === undefined || analysis === undefined)
        return `the lead's tool results are not linked to its delegation calls: ${JSON.stringify(view.toolResults)}`
      let fahrenheit: unknown
      try {
        fahrenheit = (JSON.parse(analysis) as { fahrenheit?: unknown }).fahrenheit
      } catch {
        return `the analyst's result is not JSON: ${analysis}`
      }
      return { agent, turn, usage, text: finalAnswer(research, fahrenheit) }
    }
    if (agent === 'researcher') {
      if (turn === 0)
        return {
          agent,
          turn,
          usage,
          calls: [{ id: this.id('lookup'), name: 'lookup', args: { topic: 'water' } }],
        }
      const fact = result('lookup')
      if (fact === undefined)
        return `the lookup result is not linked to its call: ${JSON.stringify(view.toolResults)}`
      return { agent, turn, usage, text: researchAnswer(fact) }
    }
    if (turn === 0)
      return {
        agent,
        turn,
        usage,
        calls: [{ id: this.id('compute'), name: 'compute', args: { celsius: 100 } }],
      }
    const computed = result('compute')
    if (computed === undefined)
      return `the compute result is not linked to its call: ${JSON.stringify(view.toolResults)}`
    try {
      const { fahrenheit } = JSON.parse(computed) as { fahrenheit: number }
      return { agent, turn, usage, text: JSON.stringify({ celsius: 100, fahrenheit }) }
    } catch {
      return `the compute result is not JSON: ${computed}`
    }
  }

  /** The first request of an agent at a turn. */
  request(agent: AgentName, turn: number): Exchange | undefined {
    return this.exchanges.find((e) => e.agent === agent && e.turn === turn && !e.problem)
  }

  problems(): string[] {
    return this.exchanges.flatMap((e) => (e.problem ? [e.problem] : []))
  }
}

export const researchAnswer = (fact: string) => `Finding: ${fact}`
export const finalAnswer = (research: string, fahrenheit: unknown) =>
  `Field note: ${research} That is ${fahrenheit} degrees Fahrenheit.`

// ---- the answer in each provider's wire format

export function chatAnswer(planned: Planned): Answer {
  const { usage } = planned
  const answer: Answer = {
    content: planned.text ?? null,
    usage: { prompt: usage.input, completion: usage.output, cached: usage.cached },
  }
  if (planned.calls)
    answer.toolCalls = planned.calls.map((c) => ({
      id: c.id,
      name: c.name,
      arguments: JSON.stringify(c.args),
    }))
  return answer
}

/** Anthropic counts cache reads apart from `input_tokens`. */
export function anthropicAnswer(planned: Planned): MessageJson {
  const { usage } = planned
  const content = planned.calls
    ? planned.calls.map((c) => toolUse(c.id, c.name, c.args))
    : [text(planned.text ?? '')]
  return message(content, {
    usage: {
      input_tokens: usage.input - usage.cached,
      cache_read_input_tokens: usage.cached,
      cache_creation_input_tokens: 0,
      output_tokens: usage.output,
    },
  })
}

export function responsesAnswer(planned: Planned): ResponseSpec {
  const { usage } = planned
  const output = planned.calls
    ? planned.calls.map((c) => item.functionCall(c.id, c.name, JSON.stringify(c.args)))
    : [item.message(planned.text ?? '', `msg_${planned.agent}_${planned.turn}`)]
  return {
    id: `resp_${planned.agent}_${planned.turn}`,
    output,
    usage: { input: usage.input, output: usage.output, cached: usage.cached },
  }
}
