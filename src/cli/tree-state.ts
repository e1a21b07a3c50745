/**
 * The tree of agents the live view draws, as the events so far describe it: each agent with its
 * model, status, steps, tokens and cost, and its sub-agents under the agent that delegated to them.
 *
 * - `reduceTree(state, event)` is pure: the tree after one more event.
 * - `agentPathOf` / `parentPathOf` find the agent an event belongs to and the agent above it.
 */
import { type BatonEvent, isSideCall, type RunStatus } from '../events/index.js'
import { inFlags } from './flag-wording.js'
import { oneLine } from './terminal-text.js'

/** A tool call under way. */
export interface RunningTool {
  readonly callId: string
  readonly name: string
  /** When it was called (ms since the run started). */
  readonly since: number
  /** It waits for a person to approve it. */
  readonly approval?: boolean
}

/** A task of a plan the agent runs, as far as it got. */
export interface PlanTaskView {
  /** `lisbon`, or `facts/people` in a nested plan. */
  readonly id: string
  readonly name: string
  readonly needs: readonly string[]
  readonly state: 'waiting' | 'running' | 'done' | 'failed' | 'skipped'
  /** When it was called (ms since the run started). */
  readonly since?: number
  /** How long it took, once it ended. */
  readonly ms?: number
}

/** The plan an agent runs (its latest), task by task. */
export interface PlanView {
  readonly callId: string
  readonly since: number
  readonly endedAt: number | undefined
  readonly tasks: readonly PlanTaskView[]
}

/** How an agent ended. */
export interface AgentEnd {
  readonly status: RunStatus
  readonly stopReason: string
  readonly error?: string
}

export interface AgentNode {
  /** The agent path: `root`, or `<parent>/<step>/agent:<name>#<k>`. */
  readonly path: string
  readonly name: string
  readonly model: string
  /** A sub-agent's brief (the task its parent delegated), on one line. */
  readonly brief: string | undefined
  /** The sub-agents' paths, in the order they started. */
  readonly children: readonly string[]
  readonly startedAt: number
  readonly endedAt: number | undefined
  /** When the model call in flight was sent; undefined when none is. */
  readonly modelSince: number | undefined
  /** The end of the text the model call in flight has written so far (its deltas), if any. */
  readonly writing: string | undefined
  /** The latest retry of the model call in flight. */
  readonly retry: { readonly attempt: number; readonly code: string } | undefined
  /** Since when the model call in flight waits for a shared rate limit, which, and how long it expects to. */
  readonly queued: { readonly since: number; readonly scope: string; readonly waitMs?: number } | undefined
  /** The model the call in flight went to, when a chain fell back or a router chose. */
  readonly via: string | undefined
  /** When the call in flight is a compaction's summary: since when. */
  readonly compacting: number | undefined
  /** How often its history was compacted, and the sizes (in tokens) of the latest compaction. */
  readonly compactions?: { readonly count: number; readonly before: number; readonly after: number }
  readonly tools: readonly RunningTool[]
  /** Model calls, tokens and cost of this agent and its sub-agents (as its budget counts them). */
  readonly steps: number
  readonly inputTokens: number
  readonly outputTokens: number
  readonly costUsd: number
  readonly end: AgentEnd | undefined
  /** The latest warnings (budget, stall, a goal check not met), newest last. */
  readonly notes: readonly string[]
  /** The latest plan it made (plan mode), with each task's state. */
  readonly plan?: PlanView
  /** Calls of a plan not known yet (tasks started while the model wrote it), by call id. */
  readonly early?: Readonly<Record<string, EarlyCall>> | undefined
}

/** A call of a plan's task made before its plan was known. */
export interface EarlyCall {
  readonly since: number
  readonly ms?: number
  readonly failed?: boolean
}

export interface TreeState {
  readonly nodes: Readonly<Record<string, AgentNode>>
  /** Agents without a parent in the stream: the root. */
  readonly roots: readonly string[]
  /** The latest event's time (ms since the run started). */
  readonly t: number
}

export const EMPTY_TREE: TreeState = { nodes: {}, roots: [], t: 0 }

/** Notes kept per agent. */
const NOTES = 2
/** How much of the text being written is kept: more than any terminal line shows. */
const WRITING = 400

/**
 * Whether a step key is one of an agent's own model calls (`…/3/model`), not a side call (a goal
 * scorer's judge, a compaction's summary).
 */
const isStepCall = (path: string): boolean => /(^|\/)\d+\/model$/.test(path) && !isSideCall(path)

/**
 * The agent an event belongs to: its path up to the last `<step>/agent:<name>#<k>` segment
 * (`root/2/agent:researcher#0/1/tool/call_1` → `root/2/agent:researcher#0`), else the root.
 */
export function agentPathOf(path: string): string {
  const parts = path.split('/')
  for (let i = parts.length - 1; i > 1; i--)
    if (parts[i]!.startsWith('agent:') && /^\d+$/.test(parts[i - 1]!)) return parts.slice(0, i + 1).join('/')
  return parts[0]!
}

/** The agent that delegated to the agent at `path`, or undefined for the root. */
export function parentPathOf(path: string): string | undefined {
  const parts = path.split('/')
  return parts.length > 2 ? agentPathOf(parts.slice(0, -2).join('/')) : undefined
}

/** An agent with no model call in flight: nothing sent, written, retried, queued or switched. */
const NO_CALL = {
  modelSince: undefined,
  writing: undefined,
  retry: undefined,
  queued: undefined,
  via: undefined,
  compacting: undefined,
} as const

/** The plan with the task called `callId` changed, when it is one of its tasks. */
function planTask(
  plan: PlanView | undefined,
  callId: string,
  update: () => Partial<PlanTaskView>,
): { plan?: PlanView } {
  if (!plan || plan.endedAt !== undefined || !callId.startsWith(`${plan.callId}.`)) return {}
  const id = callId.slice(plan.callId.length + 1)
  const at = plan.tasks.findIndex((task) => task.id.replaceAll('/', '.') === id)
  if (at < 0) return {}
  const tasks = [...plan.tasks]
  tasks[at] = { ...tasks[at]!, ...update() }
  return { plan: { ...plan, tasks } }
}

/** The tree after one more event. Pure: `state` is left as it was. */
export function reduceTree(state: TreeState, event: BatonEvent): TreeState {
  const t = Math.max(state.t, event.t ?? state.t)
  const at = { ...state, t }
  const path = event.type === 'agent.start' ? event.path : agentPathOf(event.path)
  const node = state.nodes[path]
  switch (event.type) {
    case 'agent.start': {
      const started: AgentNode = {
        path,
        name: event.agent,
        model: event.model,
        brief: parentPathOf(path) === undefined ? undefined : oneLine(taskText(event.task)),
        children: node?.children ?? [],
        startedAt: t,
        endedAt: undefined,
        modelSince: undefined,
        writing: undefined,
        retry: undefined,
        queued: undefined,
        via: undefined,
        compacting: undefined,
        tools: [],
        steps: node?.steps ?? 0,
        inputTokens: node?.inputTokens ?? 0,
        outputTokens: node?.outputTokens ?? 0,
        costUsd: node?.costUsd ?? 0,
        end: undefined,
        notes: [],
      }
      const nodes = { ...state.nodes, [path]: started }
      const parentPath = parentPathOf(path)
      const parent = parentPath === undefined ? undefined : nodes[parentPath]
      if (parent && !parent.children.includes(path))
        nodes[parent.path] = { ...parent, children: [...parent.children, path] }
      const roots = parent || state.roots.includes(path) ? state.roots : [...state.roots, path]
      return { ...at, nodes, roots }
    }
    case 'model.request':
      if (!node) return at
      return change(at, node, {
        ...NO_CALL,
        modelSince: t,
        ...(event.path.includes('/compact/') ? { compacting: t } : {}),
      })
    case 'context.compact': {
      if (!node) return at
      const count = (node.compactions?.count ?? 0) + 1
      let next = change(at, node, {
        compacting: undefined,
        compactions: { count, before: event.tokensBefore, after: event.tokensAfter },
      })
      const now = next.nodes[path]!
      if (event.reason === 'overflow')
        next = note(
          next,
          now,
          `the provider refused a request as too long: history compacted ${event.tokensBefore} → ${event.tokensAfter} tokens`,
        )
      if (event.summaryError)
        next = note(
          next,
          next.nodes[path]!,
          `the summary of the history failed: ${event.summaryError.message}`,
        )
      return next
    }
    case 'model.delta':
      // Only the agent's own calls: a judge's verdict is not the agent writing.
      if (!node || event.kind !== 'text' || !event.text || !isStepCall(event.path)) return at
      return change(at, node, {
        writing: ((node.writing ?? '') + event.text).slice(-WRITING),
        queued: undefined,
      })
    case 'model.restart':
      return node && isStepCall(event.path) ? change(at, node, { writing: undefined }) : at
    case 'model.retry':
      return node
        ? change(at, node, { retry: { attempt: event.attempt, code: event.code }, queued: undefined })
        : at
    case 'model.queued':
      return node && isStepCall(event.path)
        ? change(at, node, {
            queued:
              event.waitMs === undefined
                ? { since: t, scope: event.scope }
                : { since: t, scope: event.scope, waitMs: event.waitMs },
          })
        : at
    case 'model.fallback':
      return node && isStepCall(event.path) ? change(at, node, { via: event.to, writing: undefined }) : at
    case 'model.route':
      return node && isStepCall(event.path) ? change(at, node, { via: event.model }) : at
    case 'model.error':
      return node ? change(at, node, NO_CALL) : at
    case 'model.response': {
      if (!node) return at
      const { inputTokens, outputTokens } = event.usage
      let next = change(at, node, NO_CALL)
      // Each agent counts its sub-agents' calls too, as its budget does.
      for (let p: string | undefined = path; p !== undefined; p = parentPathOf(p)) {
        const counted = next.nodes[p]
        if (!counted) continue
        next = change(next, counted, {
          steps: counted.steps + 1,
          inputTokens: counted.inputTokens + inputTokens,
          outputTokens: counted.outputTokens + outputTokens,
          costUsd: counted.costUsd + event.costUsd,
        })
      }
      return next
    }
    case 'plan.start': {
      if (!node) return at
      const early = node.early ?? {}
      return change(at, node, {
        early: undefined,
        plan: {
          callId: event.callId,
          since: t,
          endedAt: undefined,
          tasks: event.tasks
            .filter((task) => task.kind !== 'plan')
            .map((task): PlanTaskView => {
              const view: PlanTaskView = { id: task.id, name: task.name, needs: task.needs, state: 'waiting' }
              // A task that started while the plan was being written.
              const started = early[`${event.callId}.${task.id.replaceAll('/', '.')}`]
              if (!started) return view
              const state = started.ms === undefined ? 'running' : started.failed ? 'failed' : 'done'
              return {
                ...view,
                state,
                since: started.since,
                ...(started.ms === undefined ? {} : { ms: started.ms }),
              }
            }),
        },
      })
    }
    case 'tool.call': {
      if (!node) return at
      const planned = planTask(node.plan, event.callId, () => ({ state: 'running', since: t }))
      return change(at, node, {
        tools: [...node.tools, { callId: event.callId, name: event.name, since: t }],
        ...planned,
        // A plan's task called before its plan is known: it started while the plan was written.
        ...(!planned.plan && event.callId.includes('.')
          ? { early: { ...node.early, [event.callId]: { since: t } } }
          : {}),
      })
    }
    case 'approval.request': {
      if (!node) return at
      const known = node.tools.some((tool) => tool.callId === event.callId)
      const tools = known
        ? node.tools.map((tool) => (tool.callId === event.callId ? { ...tool, approval: true } : tool))
        : [...node.tools, { callId: event.callId, name: event.name, since: t, approval: true }]
      return change(at, node, { tools })
    }
    case 'tool.result': {
      if (!node) return at
      const tools = node.tools.filter((tool) => tool.callId !== event.callId)
      const plan = node.plan
      // The plan's own call ends: what never started was skipped.
      if (plan?.callId === event.callId && plan.endedAt === undefined)
        return change(at, node, {
          tools,
          plan: {
            ...plan,
            endedAt: t,
            tasks: plan.tasks.map((task) =>
              task.state === 'waiting' ? { ...task, state: 'skipped' } : task,
            ),
          },
        })
      const early = node.early?.[event.callId]
      if (early)
        return change(at, node, {
          tools,
          early: { ...node.early, [event.callId]: { ...early, ms: event.durationMs, failed: event.isError } },
        })
      return change(at, node, {
        tools,
        ...planTask(plan, event.callId, () => ({
          state: event.isError ? 'failed' : 'done',
          ms: event.durationMs,
        })),
      })
    }
    case 'goal.check':
      return node && !event.passed
        ? note(at, node, `${event.check} not met${event.feedback ? `: ${event.feedback}` : ''}`)
        : at
    case 'budget.warning':
    case 'stall.warning':
      return node ? note(at, node, inFlags(event.message)) : at
    case 'budget.exceeded':
      return node
        ? note(at, node, `budget: ${event.limit} reached at ${event.at} (${event.used} of ${event.max})`)
        : at
    case 'agent.end': {
      if (!node) return at
      const end: AgentEnd = event.error
        ? { status: event.status, stopReason: event.stopReason, error: event.error.message }
        : { status: event.status, stopReason: event.stopReason }
      // The budget's own totals are the reference once the agent has ended.
      return change(at, node, {
        end,
        endedAt: t,
        modelSince: undefined,
        writing: undefined,
        retry: undefined,
        queued: undefined,
        via: undefined,
        compacting: undefined,
        tools: [],
        steps: event.usage.steps,
        inputTokens: event.usage.inputTokens,
        outputTokens: event.usage.outputTokens,
        costUsd: event.usage.costUsd,
      })
    }
    case 'run.end': {
      // Every agent has stopped with the run (one that said nothing more stopped as the run did).
      let next = at
      for (const open of Object.values(state.nodes))
        if (!open.end)
          next = change(next, open, {
            end: { status: event.status, stopReason: event.stopReason },
            endedAt: t,
            modelSince: undefined,
            writing: undefined,
            retry: undefined,
            queued: undefined,
            via: undefined,
            compacting: undefined,
            tools: [],
          })
      return next
    }
    default:
      return at
  }
}

function change(state: TreeState, node: AgentNode, fields: Partial<AgentNode>): TreeState {
  return { ...state, nodes: { ...state.nodes, [node.path]: { ...node, ...fields } } }
}

function note(state: TreeState, node: AgentNode, text: string): TreeState {
  const line = oneLine(text)
  if (node.notes.at(-1) === line) return state
  return change(state, node, { notes: [...node.notes.filter((n) => n !== line), line].slice(-NOTES) })
}

/** Whether anything is still under way (the elapsed times on screen then change by themselves). */
export function isBusy(state: TreeState): boolean {
  return Object.values(state.nodes).some((node) => node.end === undefined)
}

function taskText(task: unknown): string {
  return typeof task === 'string' ? task : JSON.stringify(task)
}
