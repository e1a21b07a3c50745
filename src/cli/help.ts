/** The text of `baton --help` and of each command's `--help`. */

export const RUN_HELP = `baton run — run an agent on a task

Usage:
  baton run <agent-module>[#export] "<task>" [flags]
  baton run <agent-module>[#export] --resume <transcript> [flags]

Runs the agent exported by a .js, .mjs, .ts, .mts or .cts module (the export named after #,
else the default export, else an export named "agent", else the only agent it exports) on the
task, showing each agent and tool call, and leaves its transcript and HTML trace in runs/.
With no API key for the agent's models, a module that exports \`recording\` (a transcript
path) is replayed from it instead, and the output says so. A module's exported \`close()\` is
called when the run ends. A run that ran out of budget or crashed ends with the command that
resumes it.

With --resume, goes on with a run that crashed, ran out of budget or paused: the transcript's
task and recorded steps replay (completed model calls are not paid for again, and are answered
as the recorded models answered them), then the run continues live and the transcript is
rewritten, complete.

Flags:
  --json                 print the RunResult as JSON instead of the live log
  --record <file>        write the transcript (JSONL) to <file>, the HTML trace beside it
                         (default: runs/<agent>-<time>.jsonl and .html; with --resume: the
                         resumed transcript is rewritten unless --record says where)
  --no-record            leave no transcript and no trace
  --model <provider:model>  run every agent on this model (openai:…, anthropic:…, compatible:…)
  --resume <transcript>  go on with the run recorded in <transcript> (no task argument)
  --prices <file.json>   model prices, USD per million tokens, over the shipped table:
                         { "compatible:llama3": { "input": 0.2, "output": 0.6 } }
                         (optional "cachedInput" and "cacheWrite" too)
  --price <model>=<input>,<output>  one model's price, USD per million input and output
                         tokens (repeatable; wins over --prices), e.g.
                         --price compatible:llama3=0.2,0.6
  --max-steps <n>        budget: model calls, sub-agents included
  --max-tokens <n>       budget: input + output tokens
  --max-cost-usd <n>     budget: US dollars
  --max-wall-ms <n>      budget: wall-clock milliseconds
  --max-tool-calls <n>   budget: tool calls
  --max-depth <n>        budget: levels of sub-agents
  --database <url>       submit the run to the durable workers of this PostgreSQL database
                         (baton worker) and follow it; Ctrl-C stops following, not the run;
                         its transcript is kept in runs/ when it ends
  --run-id <id>          with --database: the run's id (submitting it again follows the same
                         run)
  --otel                 send the run as an OpenTelemetry trace over OTLP/HTTP, where
                         OTEL_EXPORTER_OTLP_ENDPOINT says (default http://localhost:4318);
                         message contents only with
                         OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true
  --debug                show stack traces
  --                     the end of the flags: a task that starts with "-" goes after it

The task "-" is read from standard input: echo "Plan a trip" | baton run agents/x.ts -

Examples:
  baton run agents/research-lead.ts "How much bigger is Lisbon than Porto?"
  baton run agents/support-desk.ts#triage "My invoice is wrong" --max-cost-usd 0.05
  baton run agents/x.ts "task" --model compatible:llama3 --price compatible:llama3=0.2,0.6
  baton run agents/x.ts --resume runs/x-20261124-101502.jsonl --max-steps 40
  baton run agents/x.ts "task" --database postgresql://baton@127.0.0.1/baton --run-id req-42

Exit codes: 0 the run is done, 1 it ended without success, 2 usage error.
`

export const REPLAY_HELP = `baton replay — re-run a transcript with no model calls

Usage:
  baton replay <transcript> [--agent <agent-module>[#export]] [--live-tools] [--lenient]
               [--model <provider:model>] [--json] [--record <file>]

Re-runs a transcript through its agent: model answers and tool results come from the
recording, and every request the agent makes is checked against the recorded one. The first
difference is shown with its step key and a diff. No model is called, so each step is answered
as the recorded model answered it (the model the agent's module names now is not compared,
unless --model asks for one).

The agent comes from --agent, else from the module the transcript's header names, which is
loaded only when it lies inside the working directory (the CLI says which module it loads):
a transcript is data, and loading a module runs its code.

Flags:
  --agent <module>[#export]  the agent to replay through (needed when the transcript names no
                         module, or one outside the working directory)
  --live-tools           run the tools for real instead of reusing their recorded results
  --lenient              on a divergence, go on live (with the agents' models, or --model)
                         instead of failing
  --model <provider:model>  check the recording was made with this model; with --lenient, the
                         model for the steps that go live. scripted:<id> names a recording's
                         scripted model (a strict replay only: it cannot answer live)
  --json                 print the result as JSON (with its divergences) instead of the log
  --record <file>        write the replay's own transcript to <file>
  --debug                show stack traces
  --                     the end of the flags: a path that starts with "-" goes after it

Examples:
  baton replay runs/research-lead-20261124-101502.jsonl
  baton replay agents/recordings/research-lead.jsonl --json
  baton replay runs/x.jsonl --agent agents/x.ts#triage --lenient --model openai:gpt-4o-mini

Exit codes: 0 the replay matched and the run is done, 1 it diverged or ended without
success, 2 usage error.
`

export const EVAL_HELP = `baton eval — run eval suites

Usage:
  baton eval [files…] [--mode replay|record|live] [--concurrency <n>] [--trials <k>]
             [--json <file>] [--html <file>] [--baseline <report.json>]
             [--cost-increase <fraction>] [--steps-increase <fraction>] [--cassettes <dir>]
             [--model <provider:model>]

Runs every eval (each export made by defineEval) of the given files, or of every
evals/*.eval.ts, .js and .mjs file when none is given, and grades each case with its scorers.
Shows progress, then a table (eval, case, pass, score, tokens in+out, cost, latency, steps),
why each failed case failed, and the totals with the pass rate and pass@k.

Modes:
  replay (default)  offline: every case replays its cassette, <cassettes>/<eval>/<case>.jsonl;
                    no model is called. A missing cassette, or an agent whose requests
                    differ from the recording, fails the case and says which step and how.
  record            runs the agents' own models and writes the cassettes
  live              runs the agents' own models and writes no cassettes

Flags:
  --mode <mode>          replay, record or live (default replay)
  --concurrency <n>      runs at once (default: the eval's, else 4)
  --trials <k>           runs per case, for pass@k (default: the eval's, else 1)
  --json <file>          write the JSON report (an EvalReport) to <file>
  --html <file>          write a self-contained HTML report to <file>
  --baseline <file>      compare with an earlier JSON report; exit 1 on a regression: a case
                         that passed there and fails now, or whose cost or steps rose too much
  --cost-increase <f>    the rise in a case's mean cost allowed by --baseline (default 0.2: 20%)
  --steps-increase <f>   the rise in a case's mean steps allowed by --baseline (default 0.2)
  --cassettes <dir>      where cassettes are read and written (default evals/cassettes)
  --model <m>            run every agent on this model (record and live modes), e.g. re-record the
                         shipped cassettes with a real model: --mode record --model openai:gpt-4o-mini
  --debug                show stack traces

Examples:
  baton eval
  baton eval evals/support-desk.eval.ts --json report.json --html report.html
  baton eval --baseline report.json --cost-increase 0.1
  baton eval --mode record --model openai:gpt-4o-mini

Exit codes: 0 every case passed (and no regression), 1 a case failed or a regression,
2 usage error (a bad flag, no eval files, a file that exports no eval).
`

export const HELP = `baton — run LLM agents

Usage:
  baton run <agent-module>[#export] "<task>" [flags]
  baton run <agent-module>[#export] --resume <transcript> [flags]
  baton replay <transcript> [--agent <agent-module>[#export]] [flags]
  baton eval [files…] [flags]
  baton view <transcript.jsonl | report.json> [--out <file.html>]
  baton worker <agent-module>[#export]… --database <postgresql-url> [--concurrency n]
  baton runs [list|show|follow|cancel|approve|export] … --database <postgresql-url>
  baton export-otel <transcript>… [--content]
  baton verify <transcript> [--key <public key>]
  baton mcp login <url> [--scope <scopes>] [--client-id <id>]   (and baton mcp logout <url>)
  baton <command> --help      (or baton help <command>) for a command's flags and examples
  baton --version

run     Runs the agent exported by a .js or .ts module on the task, showing each agent and
        tool call, and leaves its transcript and HTML trace in runs/. With no API key for the
        agent's models, a module that exports \`recording\` is replayed from it instead, and
        the output says so. With --resume, goes on with a run that crashed, ran out of budget
        or paused. With --database, submits it to the durable workers and follows it.
replay  Re-runs a transcript through the agent with no model calls: model answers and tool
        results come from the recording, and every model request is checked against the
        recorded one. The first difference is shown with its step key and a diff.
eval    Runs eval suites (default: evals/*.eval.ts), offline from their cassettes unless
        --mode record or live, and prints a table of the cases with the pass rate and pass@k.
view    Writes a transcript or an eval report as one self-contained HTML page and prints its
        path: agent tree, timeline, model calls, tool calls, memory writes, budget.
worker  Serves durable runs of the agents from a PostgreSQL database (baton/durable): runs
        survive a killed worker and are taken over by the living ones.
runs    Lists the durable runs in the database; shows, follows, cancels, approves one, and
        exports its transcript for baton replay, baton view and evals.
export-otel  Sends recorded runs as OpenTelemetry traces, with their original timing, where
        OTEL_EXPORTER_OTLP_ENDPOINT says (baton run --otel traces a run as it goes).
verify  Checks that a transcript is the one its run wrote: its chain of line digests and,
        with --key, its signatures. Says it is intact, or the first line changed and how.
mcp     Logs in to an MCP server that needs authorization (OAuth in the browser) and keeps
        the tokens for the runs whose agents use it; logout forgets them.

Exit codes: 0 the run is done (eval: every case passed), 1 it ended without success (a
replay that diverged included; eval: a case failed or a regression), 2 usage error.
`
