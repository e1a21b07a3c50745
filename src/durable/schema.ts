/**
 * Baton's tables in the durable runs' database (schema `baton`), as SQL: every statement is safe
 * to run again, on an empty database or on one at any older version.
 */

/** The version of the tables below; a database at an older one is brought up to it, a newer one refused. */
export const SCHEMA_VERSION = 4

export const META = `
CREATE SCHEMA IF NOT EXISTS baton;
CREATE TABLE IF NOT EXISTS baton.meta (key text PRIMARY KEY, value text NOT NULL);
`

// Every statement is safe to run again, on an empty database or on one at any older version.
export const SCHEMA = `
CREATE TABLE IF NOT EXISTS baton.runs (
  run_id text PRIMARY KEY,
  agent text NOT NULL,
  task jsonb NOT NULL,
  tree_hash text NOT NULL,
  options jsonb NOT NULL DEFAULT '{}',
  status text NOT NULL DEFAULT 'queued',
  result jsonb,
  attempts integer NOT NULL DEFAULT 0,
  cancel_requested boolean NOT NULL DEFAULT false,
  submitted_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS runs_status ON baton.runs (status, submitted_at);
-- The newest runs (list) and the oldest ended (prune), without reading the whole table.
CREATE INDEX IF NOT EXISTS runs_submitted ON baton.runs (submitted_at);
CREATE INDEX IF NOT EXISTS runs_updated ON baton.runs (updated_at);
CREATE TABLE IF NOT EXISTS baton.lines (
  run_id text NOT NULL,
  attempt integer NOT NULL,
  n integer NOT NULL,
  line text NOT NULL,
  PRIMARY KEY (run_id, attempt, n)
);
CREATE TABLE IF NOT EXISTS baton.workers (
  executor_id text PRIMARY KEY,
  started_at timestamptz NOT NULL DEFAULT now(),
  seen_at timestamptz NOT NULL DEFAULT now()
);
-- 2: a run goes on after its approvals in a new workflow (one per round), and answers are kept.
ALTER TABLE baton.runs ADD COLUMN IF NOT EXISTS rounds integer NOT NULL DEFAULT 1;
CREATE TABLE IF NOT EXISTS baton.approvals (
  run_id text NOT NULL,
  path text NOT NULL,
  call_id text NOT NULL,
  approved boolean NOT NULL,
  decided_by text NOT NULL,
  decided_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (run_id, path)
);
-- 2: sub-agents run as workflows of their own on any worker; budgets and counters are shared.
CREATE TABLE IF NOT EXISTS baton.branches (
  branch_id text PRIMARY KEY,
  run_id text NOT NULL,
  path text NOT NULL,
  request jsonb NOT NULL,
  outcome jsonb,
  attempts integer NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS branches_run ON baton.branches (run_id);
-- What each step of a run's agents spent (charges) and holds while in flight (holds), by step
-- key: a step charged twice (a resumed run replays it) counts once.
CREATE TABLE IF NOT EXISTS baton.charges (
  run_id text NOT NULL,
  key text NOT NULL,
  path text NOT NULL,
  used jsonb NOT NULL,
  PRIMARY KEY (run_id, key)
);
CREATE TABLE IF NOT EXISTS baton.holds (
  run_id text NOT NULL,
  key text NOT NULL,
  path text NOT NULL,
  held jsonb NOT NULL,
  PRIMARY KEY (run_id, key)
);
CREATE TABLE IF NOT EXISTS baton.counters (
  run_id text NOT NULL,
  name text NOT NULL,
  next integer NOT NULL,
  PRIMARY KEY (run_id, name)
);
-- 3: each agent has queues of its own; workers say which agents they serve.
ALTER TABLE baton.workers ADD COLUMN IF NOT EXISTS agents text[] NOT NULL DEFAULT '{}';
-- 4: the shared rate limits of every worker: buckets of requests and tokens (level at at_ms, in
-- the database's clock), and the calls in flight of each scope (a lease that a dead worker's
-- calls let lapse).
CREATE TABLE IF NOT EXISTS baton.rate_buckets (
  scope text NOT NULL,
  kind text NOT NULL,
  level double precision NOT NULL,
  at_ms double precision NOT NULL,
  PRIMARY KEY (scope, kind)
);
CREATE TABLE IF NOT EXISTS baton.rate_slots (
  scope text NOT NULL,
  holder text NOT NULL,
  expires_at timestamptz NOT NULL,
  PRIMARY KEY (scope, holder)
);
-- Whoever waits on a run (its result, its followers, a parent for its sub-agents) is told when
-- it changes: new transcript lines (of the run or of one of its sub-agents, <run id>>…), a new
-- status, a sub-agent's end. The payload is the kind of change (l, s, b) and the row's id.
CREATE OR REPLACE FUNCTION baton.lines_added() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('baton_changes', 'l:' || ids.run_id) FROM (SELECT DISTINCT run_id FROM added) AS ids;
  RETURN NULL;
END $$;
CREATE OR REPLACE TRIGGER lines_added AFTER INSERT ON baton.lines
  REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION baton.lines_added();
CREATE OR REPLACE FUNCTION baton.row_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('baton_changes', TG_ARGV[0] || ':' || NEW.run_id);
  RETURN NULL;
END $$;
CREATE OR REPLACE TRIGGER run_changed AFTER UPDATE ON baton.runs
  FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status) EXECUTE FUNCTION baton.row_changed('s');
CREATE OR REPLACE TRIGGER branch_ended AFTER UPDATE ON baton.branches
  FOR EACH ROW WHEN (OLD.outcome IS DISTINCT FROM NEW.outcome) EXECUTE FUNCTION baton.row_changed('b');
`
