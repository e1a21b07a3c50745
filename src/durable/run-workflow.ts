/**
 * The DBOS workflow of a durable run: one attempt at it in this worker, from its stored
 * transcript if an earlier attempt left any, its effects through the durable door (every line so
 * far stored before each one) and its sub-agents spread over the workers.
 */
import type { Agent } from '../agent/index.js'
import { liveEffects } from '../effects/index.js'
import type { Task } from '../goal/index.js'
import { replayStream } from '../replay/replay.js'
import { foldMismatch } from '../run/fold.js'
import { streamRun } from '../run/run.js'
import type { InternalRunOptions, RunResult, RunStream } from '../run/types.js'
import { parseTranscript } from '../transcript/index.js'
import { type BranchWorld, branchDelegations, chargedKeys, endedAgents } from './branches.js'
import { databaseLedger } from './ledger.js'
import { OUTAGE_ATTEMPTS, outage, stored } from './outage.js'
import { cancelled, failed, never, superseded } from './outcomes.js'
import { ended } from './status.js'
import type { RunRow } from './store.js'
import { isTakenOver } from './store-errors.js'
import { databaseIo, durableDoor } from './transcript-io.js'
import type { SubmitOptions } from './types.js'

/** What a run's workflow needs from the worker that runs it. */
export interface WorkflowWorker {
  /** What its branches need: the store, ids, the watch on cancels, the stored approvals, … */
  readonly world: BranchWorld
  /** The run with this id; a `RUN_NOT_FOUND` error when there is none. */
  row(runId: string): Promise<RunRow>
  /** The agent a run was submitted for, as this worker has it; or why it cannot run it. */
  rootOf(run: RunRow): Agent | RunResult
  /** Traces a run this process ended (a pause for approval is not its end); never fails it. */
  traceEnd(runId: string, result: RunResult): Promise<void>
  /** This worker's executor id, once it serves. */
  executor(): string | undefined
}

/** The workflow: one attempt at a run; a run that fails in its worker ends with the error. */
export function runWorkflow(
  worker: WorkflowWorker,
): (input: { runId: string; round?: number }) => Promise<RunResult> {
  const { world, row, rootOf, traceEnd } = worker
  const { store, where, ids, watch, approve: approver } = world

  const stop = () => world.disowned() || world.closing()
  const reachable = () => store.reachable()
  const runWorkflow = async (input: { runId: string; round?: number }): Promise<RunResult> => {
    for (let attempts = 1; ; attempts++) {
      // The attempt this workflow makes, once numbered: what it stores is fenced by it.
      const started: { attempt?: number } = {}
      try {
        return await attemptRun(input, started)
      } catch (error) {
        if (stop()) throw error
        const result = failed(
          'INTERNAL',
          `run ${input.runId} failed in worker ${worker.executor()}: ${(error as Error).message}`,
        )
        // Taken over (this worker was silent, and woke up): the run is the newer attempt's.
        if (isTakenOver(error)) return result
        // The database went away under it: once it is back, the run goes on from its transcript.
        if (attempts < OUTAGE_ATTEMPTS && (await outage(error, reachable, stop))) continue
        await stored(() => store.finish(input.runId, result, started.attempt), reachable, stop)
        await traceEnd(input.runId, result)
        return result
      }
    }
  }

  /** One attempt at a run, from its stored transcript if an earlier one left any. */
  const attemptRun = async (
    input: { runId: string; round?: number },
    started: { attempt?: number },
  ): Promise<RunResult> => {
    const { runId, round = 1 } = input
    const submitted = await row(runId)
    if (ended(submitted.status) && submitted.result) return submitted.result
    // A round that a later one replaced (its worker died after the run paused for approval, and
    // the approvals queued the next round): the later round carries the run on, not this one.
    if (round !== submitted.rounds) return superseded(runId, round, submitted.rounds)
    const finish = async (result: RunResult) => {
      await store.finish(runId, result, started.attempt)
      await traceEnd(runId, result)
      return result
    }
    const agent = rootOf(submitted)
    if (!('agents' in agent)) return finish(agent)
    if (submitted.cancelRequested) return finish(cancelled(runId))
    const from = await store.furthestAttempt(runId)
    const approve = await approver(runId)
    const attempt = await store.startAttempt(runId)
    // Ended meanwhile (cancelled while queued): its result is stored.
    if (attempt === undefined) return (await row(runId)).result ?? cancelled(runId)
    started.attempt = attempt
    const io = databaseIo(store, runId, attempt)
    if (world.disowned()) return never()
    const watching = watch(runId)
    const signal = watching.signal
    const record = `${where}#${runId}/${attempt}`
    const { budget, vars, prices, model } = submitted.options as SubmitOptions
    const prefix =
      from === undefined
        ? undefined
        : parseTranscript(`${(await store.lines(runId, from)).join('\n')}\n`, `${where}#${runId}/${from}`)
    // A tree with sub-agents spreads them over the workers, and shares its budget through the database.
    const spread =
      agent.agents.length > 0
        ? {
            ledger: databaseLedger(store, runId, chargedKeys(prefix)),
            delegations: branchDelegations(world, runId, submitted.agent, endedAgents(prefix)),
          }
        : undefined
    const keys = spread && ((name: string) => store.nextDelegation(runId, name))
    try {
      let events: RunStream
      let result: Promise<RunResult>
      if (prefix === undefined) {
        const runOptions: InternalRunOptions = {
          record,
          transcriptIo: io,
          effects: durableDoor(liveEffects({ ids: ids(runId) }), io.drain, keys),
          signal,
          deltas: false,
          approve,
          ...spread,
        }
        if (budget) runOptions.budget = budget
        if (vars) runOptions.vars = vars
        if (prices) runOptions.prices = prices
        if (model) runOptions.model = model
        events = streamRun(agent, submitted.task as Task, runOptions)
        result = events.result
      } else {
        const resumed = replayStream(prefix, agent, 'resume', {
          record,
          transcriptIo: io,
          door: (effects) => durableDoor(effects, io.drain, keys),
          inFlightTools: 'report',
          ids: ids(runId),
          signal,
          deltas: false,
          approve,
          ...spread,
          ...(model ? { model } : {}),
        })
        events = resumed.events
        result = resumed.result.then(({ divergences: _, live: __, ...plain }) => plain)
      }
      for await (const _ of events);
      const outcome = await result
      // A worker declared dead stops here: the run's result is for the worker that took it over.
      if (world.disowned()) return never()
      await io.drain()
      // A self-check (the test suite turns it on): the stored transcript says what the run returned.
      if (process.env.BATON_CHECK_FOLD === '1') {
        const stored = parseTranscript(`${(await store.lines(runId, attempt)).join('\n')}\n`, record)
        const problem = foldMismatch({ ...outcome, transcript: record }, stored)
        if (problem) return finish(failed('INTERNAL', problem))
      }
      return finish(JSON.parse(JSON.stringify(outcome)) as RunResult)
    } finally {
      watching.done()
    }
  }

  return runWorkflow
}
