/**
 * How each event type updates the viewer's index (its row, its agent, the totals): the part of
 * `VIEWER_CORE` that follows the event types. Plain ES2020 in a string, like the rest of it.
 */
export const VIEWER_EVENTS = String.raw`function flagRow(row, level) {
  if (level > row.flag) row.flag = level;
}

function toolText(row) {
  var text = row.title + '(' + (row.args || '') + ')';
  if (row.result !== undefined) text += ' \u2192 ' + (row.isError ? '\u2717 ' : '') + row.result;
  else if (row.approval) text += ' \u2014 awaiting approval';
  return text;
}

function errorText(error) {
  if (!error || typeof error !== 'object') return preview(error, 160);
  return preview((error.code ? str(error.code) + ': ' : '') + str(error.message || ''), 200);
}

/** A list of names (tools, keys, task ids) as one line of text. */
function names(list, max) {
  return preview(list.map(function (item) { return str(item); }).join(', '), max);
}

/** What a call sent: an agent's step its new messages, a side call (judge, summary) its whole request. */
function sentText(row) {
  return plural(row.messages, row.side ? 'message' : 'new message');
}

/** "compacted 16,958 \u2192 4,721 tokens \u00b7 6 results stubbed \u00b7 12 messages summarised". */
function compactText(e) {
  var parts = ['compacted ' + fmtInt(e.tokensBefore) + ' \u2192 ' + fmtInt(e.tokensAfter) + ' tokens' +
    (e.reason === 'overflow' ? ' (overflow: the provider refused the request)' : '')];
  if (e.custom) parts.push('by the agent\u2019s own policy');
  var stubbed = Array.isArray(e.stubbed) ? e.stubbed.length : 0;
  if (stubbed) parts.push(plural(stubbed, 'result') + ' stubbed');
  if (typeof e.summarized === 'number' && e.summarized > 0) parts.push(plural(e.summarized, 'message') + ' summarised');
  if (e.summaryError) parts.push('summary failed: ' + errorText(e.summaryError));
  return parts.join(' \u00b7 ');
}

var UPDATE = {
  'run.start': function (ix, row, e) {
    ix.runStart = e;
    row.title = 'run start';
    row.text = preview(e.agent, 60) + ': ' + preview(e.task, 160);
  },
  'run.end': function (ix, row, e) {
    ix.runEnd = e;
    row.title = 'run end';
    row.text = str(e.status) + ' (' + str(e.stopReason) + ')' + (e.error ? ' \u2014 ' + errorText(e.error) : '');
    if (e.status !== 'done') flagRow(row, 2);
    if (e.usage) row.meta = fmtInt(num(e.usage.inputTokens) + num(e.usage.outputTokens)) + ' tok \u00b7 ' + fmtUsd(num(e.usage.costUsd));
  },
  'agent.start': function (ix, row, e, agent) {
    if (typeof e.model === 'string') agent.model = e.model;
    agent.task = preview(e.task, 300);
    row.title = 'agent start';
    row.text = agentLabel(agent) + (agent.model ? ' (' + agent.model + ')' : '') + ': ' + preview(e.task, 160);
    if (Array.isArray(e.memoryKeys) && e.memoryKeys.length) row.meta = 'memory: ' + names(e.memoryKeys, 60);
  },
  'agent.end': function (ix, row, e, agent) {
    agent.status = str(e.status);
    agent.stopReason = e.stopReason === undefined ? '' : str(e.stopReason);
    agent.error = e.error || null;
    agent.usage = e.usage && typeof e.usage === 'object' ? e.usage : null;
    row.title = 'agent end';
    row.text = agentLabel(agent) + ': ' + str(e.status) + ' (' + str(e.stopReason) + ')' + (e.error ? ' \u2014 ' + errorText(e.error) : '');
    if (e.status !== 'done') flagRow(row, 2);
    if (e.usage) row.meta = plural(num(e.usage.steps), 'step') + ' \u00b7 ' + fmtInt(num(e.usage.inputTokens) + num(e.usage.outputTokens)) + ' tok';
  },
  'model.request': function (ix, row, e, agent, t) {
    row.title = row.goal ? 'judge call' : row.side ? 'summary call' : 'model call';
    row.model = str(e.model);
    row.messages = Array.isArray(e.messages) ? e.messages.length : 0;
    row.text = sentText(row);
    ix.totals.steps++;
    agent.own.steps++;
    pushSeries(ix, t);
  },
  'model.retry': function (ix, row, e) {
    row.retries = (row.retries || 0) + 1;
    flagRow(row, 1);
    row.note = 'retry ' + str(e.attempt) + ': ' + preview(e.code, 40);
    if (!row.title) row.title = 'model call';
  },
  'model.queued': function (ix, row, e) {
    row.note = 'queued for ' + preview(e.scope, 40) + ' (' + preview(e.reason, 20) + (typeof e.waitMs === 'number' ? ', ' + fmtMs(e.waitMs) : '') + ')';
    if (!row.title) row.title = 'model call';
  },
  'model.route': function (ix, row, e) {
    row.model = str(e.model);
    row.note = 'routed to ' + preview(e.model, 60) + (e.reason ? ': ' + preview(e.reason, 60) : '');
    if (!row.title) row.title = 'model call';
  },
  'model.fallback': function (ix, row, e) {
    row.fallbacks = (row.fallbacks || 0) + 1;
    flagRow(row, 1);
    row.model = str(e.to);
    row.note = preview(e.from, 40) + ' \u2192 ' + preview(e.to, 40) + ' (' + preview(e.code, 20) + ')';
    if (!row.title) row.title = 'model call';
  },
  'model.delta': function (ix, row) {
    row.deltas = (row.deltas || 0) + 1;
    if (!row.title) row.title = 'model call';
  },
  'model.restart': function (ix, row) {
    row.restarts = (row.restarts || 0) + 1;
    flagRow(row, 1);
    row.note = 'stream cut, restarted';
    if (!row.title) row.title = 'model call';
  },
  'model.response': function (ix, row, e, agent, t) {
    var m = e.message || {};
    if (typeof e.model === 'string') row.model = e.model;
    var calls = Array.isArray(m.toolCalls) ? m.toolCalls.map(function (c) { return c && c.name; }) : [];
    var said = calls.length ? names(calls, 200) : '\u201c' + preview(m.content, 140) + '\u201d';
    if (!row.title) row.title = 'model call';
    row.text = (row.messages !== undefined ? sentText(row) + ' \u2192 ' : '\u2192 ') + said;
    var u = e.usage || {};
    var input = num(u.inputTokens);
    var output = num(u.outputTokens);
    var cost = num(e.costUsd);
    row.meta = fmtInt(input) + '/' + fmtInt(output) + ' tok' + (cost ? ' \u00b7 ' + fmtUsd(cost) : '') + ' \u00b7 ' + fmtMs(e.durationMs);
    if (e.finishReason === 'length' || e.finishReason === 'refusal' || e.finishReason === 'content-filter') flagRow(row, 1);
    ix.totals.inputTokens += input;
    ix.totals.outputTokens += output;
    ix.totals.costUsd += cost;
    agent.own.inputTokens += input;
    agent.own.outputTokens += output;
    agent.own.costUsd += cost;
    pushSeries(ix, t);
  },
  'model.error': function (ix, row, e) {
    if (!row.title) row.title = 'model call';
    flagRow(row, 2);
    row.text = (row.messages !== undefined ? sentText(row) + ' \u2192 ' : '') + '\u2717 ' + errorText(e.error);
  },
  'tool.call': function (ix, row, e, agent, t) {
    row.title = str(e.name);
    row.args = preview(e.args, 120);
    row.text = toolText(row);
    ix.totals.toolCalls++;
    agent.own.toolCalls++;
    pushSeries(ix, t);
  },
  'plan.start': function (ix, row, e) {
    var tasks = Array.isArray(e.tasks) ? e.tasks : [];
    if (!row.title) row.title = 'plan';
    row.note = 'plan of ' + plural(tasks.length, 'task') + ': ' + names(tasks.map(function (task) { return task && task.id; }), 80);
    row.plan = {
      callId: str(e.callId),
      tasks: tasks.filter(function (task) { return task && typeof task === 'object'; }).map(function (task) {
        return { id: str(task.id), kind: str(task.kind), name: str(task.name), needs: Array.isArray(task.needs) ? task.needs.map(str) : [] };
      }),
    };
  },
  'tool.progress': function (ix, row, e) {
    row.progress = (row.progress || 0) + 1;
    if (!row.title) row.title = 'tool';
    row.note = 'progress: ' + preview(e.data, 60);
  },
  'approval.request': function (ix, row, e) {
    row.approval = true;
    if (!row.title) row.title = str(e.name);
    if (row.args === undefined) row.args = preview(e.args, 120);
    flagRow(row, 1);
    row.text = toolText(row);
  },
  'approval.decision': function (ix, row, e) {
    if (!row.title) row.title = str(e.name);
    row.decision = (e.approved ? 'approved' : 'refused') + (e.by ? ' by ' + str(e.by) : '');
    row.note = row.decision;
  },
  'tool.result': function (ix, row, e) {
    if (!row.title) row.title = str(e.name);
    row.isError = e.isError === true;
    row.result = preview(e.content, 160);
    if (row.isError) flagRow(row, 2);
    row.text = toolText(row);
    row.meta = fmtMs(e.durationMs) + (e.truncated ? ' \u00b7 truncated' : '');
    if (typeof e.durationMs === 'number') row.ms = e.durationMs;
  },
  'elicitation.request': function (ix, row, e) {
    row.title = 'input';
    row.asked = str(e.server) + ' asks: ' + preview(e.message, 120);
    row.text = row.asked + ' \u2014 awaiting an answer';
    row.meta = 'during ' + str(e.name);
    flagRow(row, 1);
  },
  'elicitation.answer': function (ix, row, e) {
    row.title = 'input';
    var answer = str(e.action) + (e.content ? ' ' + preview(e.content, 80) : '');
    row.text = (row.asked || 'input') + ' \u2192 ' + answer;
    row.flag = 0;
    if (e.error) flagRow(row, 2);
  },
  'sampling.request': function (ix, row, e) {
    var messages = Array.isArray(e.messages) ? e.messages : [];
    var last = messages.length ? messages[messages.length - 1] : null;
    row.title = 'sampling';
    row.text = str(e.server) + ' asks ' + str(e.model) + ': ' + preview(last && last.content, 140);
    row.meta = 'during ' + str(e.name) + ' \u00b7 max ' + fmtInt(e.maxTokens) + ' tokens';
  },
  'tools.change': function (ix, row, e) {
    var tools = Array.isArray(e.tools) ? e.tools : [];
    row.title = 'tools';
    row.text = 'offered ' + plural(tools.length, 'tool') + ': ' + names(tools.map(function (tool) { return tool && tool.name; }), 160);
  },
  'memory.write': function (ix, row, e) {
    ix.memoryWrites++;
    row.title = 'memory';
    row.key = str(e.key);
    row.text = str(e.key) + ' = ' + preview(e.value, 140);
    row.meta = 'by ' + preview(e.by, 60);
  },
  'context.compact': function (ix, row, e, agent) {
    ix.compactions++;
    agent.compactions++;
    row.title = 'compaction';
    row.text = compactText(e);
    row.meta = 'limit ' + fmtInt(e.limit) + (typeof e.window === 'number' ? ' \u00b7 window ' + fmtInt(e.window) : '');
    // Not an error, but worth a look: the provider refused a request, or the summary failed.
    if (e.reason === 'overflow' || e.summaryError) flagRow(row, 1);
  },
  'goal.check': function (ix, row, e) {
    row.title = 'goal check';
    row.text = str(e.check) + ': ' + (e.passed ? 'passed' : 'failed') + ' (attempt ' + str(e.attempt) + ')' +
      (e.feedback ? ' \u2014 ' + preview(e.feedback, 140) : '');
    if (typeof e.score === 'number') row.meta = 'score ' + e.score.toFixed(2);
    if (!e.passed) flagRow(row, 1);
  },
  'budget.exceeded': function (ix, row, e) {
    row.title = 'budget exceeded';
    row.text = str(e.limit) + ': used ' + fmtInt(e.used) + ' of ' + fmtInt(e.max) + ' (at ' + str(e.at) + ')';
    flagRow(row, 2);
  },
  'budget.warning': function (ix, row, e) {
    row.title = 'budget warning';
    row.text = preview(e.message, 200);
    flagRow(row, 1);
  },
  'stall.warning': function (ix, row, e) {
    row.title = 'stall';
    row.text = str(e.reason) + ': ' + preview(e.message, 180);
    flagRow(row, typeof e.message === 'string' && e.message.indexOf('stopping') === 0 ? 2 : 1);
  },
};
`
