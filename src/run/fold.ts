/**
 * A run's result, folded from its events: the one way a `RunResult` is made, for a live run (the
 * events as they are emitted), a transcript read back, a replay and the eval scorers. Nothing in
 * a result comes from anywhere but the events, so a transcript always says what its run returned.
 */
import { delegationToolName } from '../agent/delegation.js'
import {
  type BatonEvent,
  type ElicitationRequest,
  elicitationOf,
  isSideCall,
  type ModelResponseEvent,
  type PendingApproval,
  type PlanStartEvent,
  type RunEndEvent,
} from '../events/index.js'
import type { TrajectoryStep } from '../goal/index.js'
import type { MemoryEntry } from '../memory/index.js'
import { withFields } from '../objects.js'
import { givenTranscript } from '../transcript/given.js'
import { childAgent, readTranscript, type Transcript } from '../transcript/index.js'
import { redactor } from '../transcript/redact.js'
import { transcriptJson } from '../transcript/transcript-json.js'
import { secretKey } from '../transcript/writer.js'
import type { RunResult } from './types.js'

/**
 * What a fold needs to know besides the events: the agents (to tell delegations from tools). A
 * transcript's tree may name a shared sub-agent by a reference (`ref`) to where it is written.
 */
export interface FoldTree {
  readonly name: string
  readonly agents?: readonly FoldTree[]
  readonly ref?: readonly string[]
}

/** A tool call that got a result in an agent's step. */
interface Done {
  readonly key: string
  readonly name: string
  readonly ok: boolean
  readonly waits: boolean
}

/** The step an agent is in: its calls, in the order the model made them, and their results. */
interface OpenStep {
  readonly prefix: string
  readonly calls: readonly { id: string; name: string; args: unknown }[]
  readonly done: Map<string, Done>
}

/** An agent path's agent in the tree: `root/2/agent:researcher#0` → researcher. */
function agentAt(tree: FoldTree, path: string): FoldTree | undefined {
  let node: FoldTree | undefined = tree
  for (const match of path.matchAll(/agent:([^#/]+)#/g)) node = childAgent(tree, node, match[1]!)
  return node
}

/** The step prefix of a call's step key (`root/2/agent:a#0/3/tool/c1` → `root/2/agent:a#0/3`). */
function stepOf(key: string): string {
  const tool = key.indexOf('/tool/')
  return key.slice(0, tool >= 0 ? tool : key.lastIndexOf('/'))
}
/** The agent path of a step prefix (`root/2/agent:a#0/3` → `root/2/agent:a#0`). */
const agentOfStep = (step: string): string => step.slice(0, step.lastIndexOf('/'))

/** The fold's state for approvals, elicitations and plans: most runs never need it. */
class SideState {
  /** What a call waiting for approval was asked with, by step key. */
  readonly asked = new Map<string, unknown>()
  /** The unanswered elicitation of each call whose server asked for input, by the call's step key. */
  readonly elicited = new Map<string, ElicitationRequest>()
  /** Plans of plan mode, by the key of their `plan` call. */
  readonly plans = new Map<string, PlanStartEvent>()
  /** The arguments of plans' tasks, by step key (a task is in the trajectory, with them). */
  readonly taskArgs = new Map<string, unknown>()
  /** Results of calls whose step had not opened yet (plan tasks started early), by step prefix. */
  readonly early = new Map<string, Map<string, Done>>()
  /** The calls each agent left waiting for approval when it ended, by agent path. */
  readonly waiting = new Map<string, PendingApproval[]>()
}

const NO_DELEGATES: ReadonlyMap<string, string> = new Map()

export class RunFold {
  private end: RunEndEvent | undefined
  private memory: Map<string, MemoryEntry> | undefined
  private readonly trajectory: TrajectoryStep[] = []
  /** Each agent's step whose calls are under way. */
  private readonly open = new Map<string, OpenStep>()
  /** What only approvals, elicitations and plans need: made when one first happens. */
  private side: SideState | undefined

  /** `startedAt`: epoch ms of the run's start (memory entries' `at` are counted from it). */
  constructor(
    private readonly tree: FoldTree,
    private readonly startedAt: number,
    private runId = '',
  ) {}

  private get sideState(): SideState {
    this.side ??= new SideState()
    return this.side
  }

  add(event: BatonEvent): void {
    switch (event.type) {
      case 'run.start':
        this.runId = event.runId
        return
      case 'model.response':
        this.opened(event)
        return
      case 'approval.request':
        this.sideState.asked.set(event.path, event.args)
        return
      case 'elicitation.request': {
        const request = elicitationOf(event)
        this.sideState.elicited.set(request.toolCall, request)
        return
      }
      case 'elicitation.answer':
        this.side?.elicited.delete(event.path.slice(0, event.path.lastIndexOf('/elicit/')))
        return
      case 'plan.start':
        this.sideState.plans.set(event.path, event)
        for (const task of event.tasks)
          this.sideState.taskArgs.set(planTaskKey(event.path, event.callId, task.id), undefined)
        return
      case 'tool.call':
        if (this.side?.taskArgs.has(event.path)) this.side.taskArgs.set(event.path, event.args)
        return
      case 'tool.result': {
        const prefix = stepOf(event.path)
        const done: Done = {
          key: event.path,
          name: event.name,
          ok: !event.isError,
          waits: event.error?.code === 'AWAITING_APPROVAL',
        }
        const step = this.open.get(agentOfStep(prefix))
        if (step?.prefix === prefix) step.done.set(event.callId, done)
        else {
          // A plan's task that ended while the model was still writing the plan: its step opens
          // with the answer.
          const { early } = this.sideState
          const dones = early.get(prefix) ?? new Map<string, Done>()
          dones.set(event.callId, done)
          early.set(prefix, dones)
        }
        return
      }
      case 'memory.write': {
        const entry: MemoryEntry = {
          key: event.key,
          value: event.value,
          by: event.by,
          step: event.path,
          at: this.startedAt + (event.t ?? 0),
        }
        this.memory ??= new Map()
        this.memory.set(event.key, entry)
        return
      }
      case 'agent.end':
        this.close(event.path, event.status === 'awaiting_approval')
        return
      case 'run.end':
        this.end = event
        return
    }
  }

  /** The result, once `run.end` was folded; undefined before. */
  result(): RunResult | undefined {
    const end = this.end
    if (!end) return undefined
    const result: RunResult = {
      status: end.status,
      stopReason: end.stopReason,
      output: end.output,
      usage: end.usage,
      memory: this.memory ? [...this.memory.values()] : [],
      trajectory: this.trajectory,
      runId: this.runId,
    }
    if (end.error) result.error = end.error
    const pending = end.status === 'awaiting_approval' ? this.side?.waiting.get('root') : undefined
    if (pending?.length) result.pending = pending
    return result
  }

  /** Per agent path: its delegation tools' names → the sub-agents' names. */
  private readonly delegates = new Map<string, ReadonlyMap<string, string>>()

  private delegatesOf(agent: string): ReadonlyMap<string, string> {
    let found = this.delegates.get(agent)
    if (!found) {
      const node = agentAt(this.tree, agent)
      found = node?.agents?.length
        ? new Map(node.agents.map((a) => [delegationToolName(a.name), a.name]))
        : NO_DELEGATES
      this.delegates.set(agent, found)
    }
    return found
  }

  private opened(event: ModelResponseEvent): void {
    if (isSideCall(event.path)) return
    // An agent's model answers again once its previous step's calls are all done.
    const prefix = stepOf(event.path)
    const agent = agentOfStep(prefix)
    this.close(agent)
    const calls = event.message.toolCalls
    const early = this.side?.early.get(prefix)
    if (early) this.side!.early.delete(prefix)
    if (calls?.length) this.open.set(agent, { prefix, calls, done: early ?? new Map() })
  }

  /**
   * An agent's step is over: its calls join the trajectory in the order the model made them
   * (a sub-agent's own calls came first, when it ended), and its calls left waiting for
   * approval are the agent's, in that order too.
   */
  private close(agent: string, waits = false): void {
    const step = this.open.get(agent)
    if (!step) return
    this.open.delete(agent)
    const delegates = this.delegatesOf(agent)
    // Only an agent that stops to wait for approvals needs its calls' approvals gathered.
    const pending: PendingApproval[] | undefined = waits ? [] : undefined
    let k: Map<string, number> | undefined
    for (const call of step.calls) {
      const sub = delegates.size ? delegates.get(call.name) : undefined
      // The k-th delegation of a step to a sub-agent runs as `<step>/agent:<name>#<k>`.
      let n = 0
      if (sub !== undefined) {
        k ??= new Map()
        n = k.get(sub) ?? 0
        k.set(sub, n + 1)
      }
      const done = step.done.get(call.id)
      if (!done) continue
      this.trajectory.push({
        path: agent,
        kind: sub === undefined ? 'tool' : 'agent',
        name: done.name,
        args: call.args,
        ok: done.ok,
      })
      const plan = this.side?.plans.get(done.key)
      if (plan) {
        this.planTasks(agent, step, plan, pending)
        continue
      }
      if (!pending) continue
      if (sub !== undefined)
        pending.push(...(this.side?.waiting.get(`${step.prefix}/agent:${sub}#${n}`) ?? []))
      else if (done.waits) pending.push(this.waitingCall(done.key, call.id, done.name, call.args))
    }
    if (pending) this.sideState.waiting.set(agent, pending)
  }

  /** A plan's tasks join the trajectory after its call, in the plan's order; so do their waits. */
  private planTasks(
    agent: string,
    step: OpenStep,
    plan: PlanStartEvent,
    pending: PendingApproval[] | undefined,
  ): void {
    const k = new Map<string, number>()
    for (const task of plan.tasks) {
      if (task.kind === 'plan') continue
      const n = k.get(task.name) ?? 0
      if (task.kind === 'agent') k.set(task.name, n + 1)
      const key = planTaskKey(plan.path, plan.callId, task.id)
      const done = step.done.get(key.slice(key.lastIndexOf('/') + 1))
      if (!done) continue
      this.trajectory.push({
        path: agent,
        kind: task.kind,
        name: done.name,
        args: this.side?.taskArgs.get(key),
        ok: done.ok,
      })
      if (!pending) continue
      if (task.kind === 'agent')
        pending.push(...(this.side?.waiting.get(`${step.prefix}/agent:${task.name}#${n}`) ?? []))
      else if (done.waits)
        pending.push(
          this.waitingCall(key, key.slice(key.lastIndexOf('/') + 1), done.name, this.side?.taskArgs.get(key)),
        )
    }
  }

  /**
   * A call left waiting: for approval (with the arguments it was asked with), or for the answer
   * to its server's elicitation (with the model's arguments, which the tool took as they were).
   */
  private waitingCall(key: string, callId: string, tool: string, args: unknown): PendingApproval {
    const elicitation = this.side?.elicited.get(key)
    const asked = this.side?.asked.get(key)
    if (!elicitation) return { path: key, callId, tool, args: asked }
    return { path: key, callId, tool, args: asked ?? args, elicitation }
  }
}

/** The step key of task `id` (`facts/people`) of the plan called at `planKey` with `callId`. */
export function planTaskKey(planKey: string, callId: string, id: string): string {
  return `${planKey.slice(0, planKey.lastIndexOf('/'))}/${callId}.${id.replaceAll('/', '.')}`
}

/** The result a transcript's events say its run returned, or undefined for a run that did not end. */
export function foldEvents(
  tree: FoldTree,
  startedAt: number,
  events: Iterable<BatonEvent>,
  runId = '',
): RunResult | undefined {
  const fold = new RunFold(tree, startedAt, runId)
  for (const event of events) fold.add(event)
  return fold.result()
}

/**
 * The result a transcript says its run returned (`transcript` set to its path), or undefined
 * when the run did not end (a crash, a cut-off file: resume it).
 */
export function transcriptResult(given: Transcript): RunResult | undefined {
  const transcript = givenTranscript(given, 'transcriptResult')
  const { header } = transcript
  const result = foldEvents(header.agent, Date.parse(header.startedAt), transcript.events, header.runId)
  if (result) result.transcript = transcript.path
  return result
}

/** How the transcript's fold differs from the result the run returns, or undefined. */
export function foldMismatch(result: RunResult, transcript?: Transcript): string | undefined {
  let read: RunResult | undefined
  try {
    read = transcriptResult(transcript ?? readTranscript(result.transcript!))
  } catch (error) {
    return `the transcript ${result.transcript} cannot be read back: ${(error as Error).message}`
  }
  // Compared as a transcript holds values: secrets redacted, nesting cut.
  const redact = redactor()
  const held = (value: RunResult | undefined) => transcriptJson(value, redact)
  // A memory entry under a secret's name is written without its value.
  const memory = result.memory.map((entry) =>
    secretKey(entry.key, redact) ? withFields(entry, { value: '[redacted]' }) : entry,
  )
  const [live, folded] = [held(withFields(result, { memory })), held(read)]
  if (live === folded || live.includes('"[too deep]"')) return undefined
  return `the transcript ${result.transcript} does not fold to the run's result:\nresult: ${live}\nfolded: ${folded}`
}
