/**
 * `reduceTree(state, event)`: the live tree after one more event, as a pure function (the state
 * it is given is left as it was).
 */
import type { BatonEvent } from '../events/index.js'
import { inFlags } from './flag-wording.js'
import { oneLine } from './terminal-text.js'
import type { AgentEnd, AgentNode, PlanTaskView, TreeState } from './tree-state.js'
import { change, NO_CALL, note, planTask } from './tree-state-changes.js'
import { agentPathOf, isStepCall, parentPathOf } from './tree-state-paths.js'

/** How much of the text being written is kept: more than any terminal line shows. */
const WRITING = 400

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
        ...NO_CALL,
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
        ...NO_CALL,
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
            ...NO_CALL,
            tools: [],
          })
      return next
    }
    default:
      return at
  }
}

function taskText(task: unknown): string {
  return typeof task === 'string' ? task : JSON.stringify(task)
}
