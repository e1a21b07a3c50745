/**
 * What the parts of a durable runner share (durable-runs.ts makes it, worker.ts serves with it):
 * its database, its agents, DBOS and DBOS's client, the agents' queues, and how a run's round is
 * put on its queue.
 */
import type { Agent } from '../agent/index.js'
import type { AgentQueues } from './queues.js'
import type { DurableStore, RunRow } from './store.js'

export type Dbos = typeof import('@dbos-inc/dbos-sdk')
export type DbosClient = Awaited<ReturnType<Dbos['DBOSClient']['create']>>

/** The name of a run's workflow. */
export const WORKFLOW = 'baton.run'
/** The application version Baton's workflows are queued and served under. */
export const APP_VERSION = 'baton-durable-1'

export interface Runner {
  /** The database's postgresql:// URL, as given. */
  readonly database: string
  /** The database's URL fit to print (without its password). */
  readonly where: string
  /** This process's agents, by name. */
  readonly agents: ReadonlyMap<string, Agent>
  readonly dbos: Dbos
  readonly store: DurableStore
  readonly queues: AgentQueues
  /** DBOS's client, made at the first use. */
  dbosClient(): Promise<DbosClient>
  /** The run with this id; a `RUN_NOT_FOUND` error when there is none. */
  row(runId: string): Promise<RunRow>
  /** Puts round `round` of a run of `agent` on its queue (again: the same workflow id is one workflow). */
  enqueue(runId: string, agent: string, round: number): Promise<void>
}
