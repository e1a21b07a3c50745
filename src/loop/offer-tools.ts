import { type PreparedAgent, prepareAgent, prepareWith } from '../agent/index.js'
import { BatonError } from '../errors/index.js'
import type { ToolSpec } from '../model/types.js'
import { defineTool, type Tool } from '../tool/index.js'
import type { Frame } from './frame.js'

/**
 * The tools an agent with live tool sets (an MCP server's, whose list may change) offers from
 * step `step` on: the sets' lists as they are now, once a change under way is in. What it
 * offered is a decision of the run, recorded as a `tools.change` event at its first step and
 * whenever the list changed: a replay offers what the recording did, with the servers gone.
 * Agents with plain tool arrays never come here.
 */
export async function offerTools(frame: Frame, step: number): Promise<void> {
  const sets = frame.agent.toolSets
  if (!sets) return
  const key = `${frame.path}/${step}/tools`
  const last = frame.prepared
  const offered = await frame.race(
    frame.run.effects.decision('tools', key, async (): Promise<ToolSpec[] | null> => {
      await Promise.all(sets.map((set) => set.settled?.()))
      const now = prepareAgent(frame.agent)
      return step > 1 && now.specHash === last.specHash ? null : now.own.map((tool) => tool.spec)
    }),
  )
  if (offered === null) return
  frame.offer(preparedFor(frame, offered))
  frame.run.emit({ type: 'tools.change', path: key, tools: offered })
}

/** The agent prepared to offer exactly `specs`: its tools by those names, stand-ins for the others. */
function preparedFor(frame: Frame, specs: readonly ToolSpec[]): PreparedAgent {
  const now = prepareAgent(frame.agent)
  const same = (tool: Tool | undefined, spec: ToolSpec) =>
    tool !== undefined && JSON.stringify(tool.spec) === JSON.stringify(spec)
  if (now.own.length === specs.length && now.own.every((tool, i) => same(tool, specs[i]!))) return now
  const byName = new Map(now.own.map((tool) => [tool.name, tool]))
  const own = specs.map((spec) => {
    const tool = byName.get(spec.name)
    return same(tool, spec) ? tool! : standIn(spec)
  })
  return prepareWith(frame.agent, own, now.lists)
}

/** A tool the recording offered that its set no longer has: its recorded results still answer. */
function standIn(spec: ToolSpec): Tool {
  return defineTool({
    name: spec.name,
    description: spec.description,
    input: spec.parameters,
    run: () => {
      throw new BatonError(
        'REPLAY_MISSING',
        `tool "${spec.name}" was offered in the recording, and its tool set no longer has it`,
      )
    },
  })
}
