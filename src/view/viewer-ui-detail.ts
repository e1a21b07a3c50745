/**
 * The viewer's detail pane: the selected row's events parsed again and shown in full (a model
 * call's messages and response, a tool call's arguments and result, a memory write's provenance,
 * any other event's fields) with the raw events on demand.
 *
 * A piece of the page script VIEWER_UI assembles: its functions run inside that one function
 * scope and use its state, index and DOM helpers. Plain ES2020 in a string: no template literals.
 */
export const VIEWER_UI_DETAIL = String.raw`
  // ---- detail of one row ----
  var detailEl = document.getElementById('detail');
  function find(events, type) {
    for (var i = 0; i < events.length; i++) if (events[i] && events[i].type === type) return events[i];
    return null;
  }
  function agentButton(agent, text) {
    var button = h('button', { class: 'link', testid: 'reveal-agent', text: text || agentLabel(agent), title: agent.path });
    button.addEventListener('click', function () { revealAgent(agent.id); });
    return button;
  }
  function renderDetail(row) {
    var events = row.lines.map(parseLine);
    var agent = ix.agents[row.agent];
    var parts = [h('div', { class: 'dhead' }, [
      h('span', { class: 'badge k-' + row.kind, text: kindLabel(row) }), ' ',
      h('b', { testid: 'detail-title', text: row.kind === 'tool' ? row.title : row.title || row.type }), ' ',
      h('code', { text: row.path }),
      h('span', { class: 'muted', text: ' \u00b7 seq ' + events.map(function (e) { return e ? str(e.seq) : '?'; }).join(', ') + ' \u00b7 t ' + fmtMs(row.t0) + ' \u00b7 agent ' }),
      agentButton(agent),
    ])];
    var render = DETAIL[row.kind] || detailFields;
    parts.push(render(row, events, agent));
    var raw = h('details', { class: 'raw', testid: 'raw-events' }, h('summary', { text: 'raw events (' + events.length + ')' }));
    raw.addEventListener('toggle', function () {
      if (raw.open && raw.childNodes.length === 1) events.forEach(function (e) { raw.appendChild(jsonBlock(e)); });
    });
    parts.push(raw);
    detailEl.setAttribute('data-row', row.id);
    detailEl.setAttribute('data-kind', row.kind);
    detailEl.replaceChildren.apply(detailEl, parts);
  }
  function messageEl(m) {
    if (!m || typeof m !== 'object') return jsonBlock(m);
    var role = str(m.role);
    // The role names a class: only the four a message has, so a transcript cannot style the page.
    var roleClass = /^(system|user|assistant|tool)$/.test(role) ? role : 'other';
    var head = [h('span', { class: 'role', text: role })];
    if (role === 'tool') head.push(' ', h('code', { text: str(m.toolName) + ' \u00b7 ' + str(m.toolCallId) }));
    if (m.isError) head.push(' ', h('span', { class: 'errtag', text: 'error' }));
    var el = h('div', { class: 'msg r-' + roleClass + (m.isError ? ' is-error' : ''), testid: 'message', 'data-role': role }, h('div', { class: 'mhead' }, head));
    if (Array.isArray(m.reasoning) && m.reasoning.length) el.appendChild(reasoningEl(m.reasoning));
    if (m.content !== undefined && m.content !== '') el.appendChild(contentBlock(m.content, 'message-content'));
    if (Array.isArray(m.toolCalls)) m.toolCalls.forEach(function (c) { el.appendChild(toolCallEl(c)); });
    return el;
  }
  function toolCallEl(call) {
    var el = h('div', { class: 'tcall', testid: 'tool-call' }, [
      h('div', null, ['\u2192 ', h('b', { text: str(call && call.name) }), ' ', h('code', { class: 'muted', text: str(call && call.id) })]),
    ]);
    if (call && call.argsText !== undefined) {
      el.appendChild(h('div', { class: 'warning', text: 'arguments that are not valid JSON:' }));
      el.appendChild(textBlock(call.argsText));
    } else el.appendChild(jsonBlock(call ? call.args : call, 'tool-call-args'));
    return el;
  }
  function reasoningEl(parts) {
    var el = h('div', { class: 'reasoning', testid: 'reasoning' }, h('div', { class: 'mhead' }, h('span', { class: 'role', text: 'reasoning' })));
    parts.forEach(function (part) {
      if (part && part.text) el.appendChild(textBlock(part.text, 'thinking'));
      if (part && part.data !== undefined) {
        var data = h('details', null, h('summary', { text: 'provider data' + (part.provider ? ' (' + str(part.provider) + ')' : '') }));
        data.appendChild(jsonBlock(part.data));
        el.appendChild(data);
      }
    });
    return el;
  }
  /**
   * Every message of an agent's requests up to this one: what the model was sent in full. A
   * compaction puts its history in place of everything before it.
   */
  function fullHistory(row) {
    var agent = ix.agents[row.agent];
    var messages = [];
    for (var i = 0; i < agent.rows.length; i++) {
      var r = ix.rows[agent.rows[i]];
      if (r.id > row.id) break;
      if (r.kind === 'context') {
        var compact = find(r.lines.map(parseLine), 'context.compact');
        if (compact && Array.isArray(compact.messages)) messages = compact.messages.slice();
        continue;
      }
      if (r.kind !== 'model' || r.side) continue;
      var request = find(r.lines.map(parseLine), 'model.request');
      if (request && Array.isArray(request.messages)) messages = messages.concat(request.messages);
    }
    return messages;
  }
  var DETAIL = {
    model: function (row, events, agent) {
      var box = h('div');
      var request = find(events, 'model.request');
      var response = find(events, 'model.response');
      var failure = find(events, 'model.error');
      if (request) {
        box.appendChild(kv([
          ['model', str(request.model)],
          ['request hash', str(request.hash)],
          ['spec hash', str(request.specHash)],
          request.maxTokens !== undefined ? ['max tokens', fmtInt(request.maxTokens)] : null,
        ]));
        var messages = Array.isArray(request.messages) ? request.messages : [];
        var sent = section(row.side ? 'Request (' + plural(messages.length, 'message') + ')' : 'Request: ' + plural(messages.length, 'new message'), 'request-messages');
        // A compaction's summary: say which compaction it wrote for.
        var compaction = row.side ? rowAt(agent, 'context', row.path.replace(/\/model$/, '')) : null;
        if (compaction) sent.appendChild(h('div', { class: 'muted' }, ['the summary of the older turns, for ', rowButton(compaction, 'this compaction', 'open-compaction')]));
        messages.forEach(function (m) { sent.appendChild(messageEl(m)); });
        if (!row.side) {
          var all = h('button', { class: 'more', testid: 'full-history', text: 'show the whole history sent with this request' });
          all.addEventListener('click', function () {
            var history = section('The whole history sent (' + plural(fullHistory(row).length, 'message') + ')', 'history');
            fullHistory(row).forEach(function (m) { history.appendChild(messageEl(m)); });
            all.replaceWith(history);
          });
          sent.appendChild(all);
        }
        box.appendChild(sent);
      }
      var retries = events.filter(function (e) { return e && e.type === 'model.retry'; });
      if (retries.length) {
        var retry = section('Retries', 'retries', 'warn');
        retries.forEach(function (e) {
          retry.appendChild(h('div', { testid: 'retry', text: 'attempt ' + str(e.attempt) + ' failed: ' + str(e.code) + (e.status ? ' (HTTP ' + str(e.status) + ')' : '') + ' ' + preview(e.message, 300) + '; waited ' + fmtMs(e.delayMs) }));
        });
        box.appendChild(retry);
      }
      if (response) {
        var answer = section('Response', 'response');
        var u = response.usage || {};
        answer.appendChild(kv([
          ['finish', str(response.finishReason)],
          ['tokens', 'in ' + fmtInt(u.inputTokens || 0) + ' \u00b7 out ' + fmtInt(u.outputTokens || 0) + (u.cachedInputTokens ? ' \u00b7 cached ' + fmtInt(u.cachedInputTokens) : '') + (u.reasoningTokens ? ' \u00b7 reasoning ' + fmtInt(u.reasoningTokens) : '')],
          ['cost', fmtUsd(response.costUsd || 0)],
          ['duration', fmtMs(response.durationMs)],
        ]));
        var message = response.message || {};
        if (Array.isArray(message.reasoning) && message.reasoning.length) answer.appendChild(reasoningEl(message.reasoning));
        if (message.content) answer.appendChild(contentBlock(message.content, 'response-text'));
        else if (!message.toolCalls || !message.toolCalls.length) answer.appendChild(h('div', { class: 'muted', text: '(no text)' }));
        if (Array.isArray(message.toolCalls)) message.toolCalls.forEach(function (c) { answer.appendChild(toolCallEl(c)); });
        if (message.provider !== undefined) {
          var provider = h('details', null, h('summary', { text: 'provider message' }));
          provider.addEventListener('toggle', function () {
            if (provider.open && provider.childNodes.length === 1) provider.appendChild(jsonBlock(message.provider));
          });
          answer.appendChild(provider);
        }
        box.appendChild(answer);
      }
      if (failure) {
        var failed = section('Error', 'model-error', 'bad');
        failed.appendChild(errorBlock(failure.error));
        box.appendChild(failed);
      }
      if (!response && !failure) box.appendChild(h('div', { class: 'warning', text: 'No response was recorded for this call (the run stopped or crashed while it was in flight).' }));
      return box;
    },
    tool: function (row, events, agent) {
      var box = h('div');
      var call = find(events, 'tool.call');
      var result = find(events, 'tool.result');
      var approval = find(events, 'approval.request');
      var first = call || approval || result || {};
      box.appendChild(kv([
        ['tool', str(first.name)],
        ['call id', str(first.callId)],
        result ? ['duration', fmtMs(result.durationMs)] : null,
      ]));
      if (row.title.indexOf('delegate_') === 0 && row.step !== null) {
        var subs = delegated(row, agent);
        if (subs.length) box.appendChild(h('div', { class: 'subs' }, ['sub-agent: '].concat(subs.map(function (s) { return agentButton(s); }))));
      }
      if (row.plan) box.appendChild(planSection(row, agent));
      var args = section('Arguments', 'tool-args-section');
      args.appendChild(jsonBlock(call ? call.args : approval ? approval.args : undefined, 'tool-args'));
      box.appendChild(args);
      if (approval) {
        var wait = section('Approval requested', 'approval', 'warn');
        wait.appendChild(jsonBlock(approval.args));
        box.appendChild(wait);
      }
      var decision = find(events, 'approval.decision');
      if (decision) {
        var decided = section(decision.approved ? 'Approved' : 'Refused', 'approval-decision', decision.approved ? '' : 'bad');
        decided.appendChild(kv([
          ['decided by', decision.by === undefined ? '(not said)' : str(decision.by)],
          ['at', str(decision.at)],
        ]));
        box.appendChild(decided);
      }
      var progress = events.filter(function (e) { return e && e.type === 'tool.progress'; });
      if (progress.length) {
        var steps = section('Progress (' + progress.length + ')', 'progress');
        progress.forEach(function (e) { steps.appendChild(jsonBlock(e.data)); });
        box.appendChild(steps);
      }
      if (result) {
        var out = section(result.isError ? 'Result: error' : 'Result', 'tool-result', result.isError ? 'bad' : '');
        out.setAttribute('data-error', str(result.isError === true));
        if (result.error) out.appendChild(errorBlock(result.error, 'tool-error'));
        out.appendChild(contentBlock(result.content, 'tool-result-content'));
        if (result.truncated) {
          var whole = h('details', null, h('summary', { text: 'the whole value (the model got the truncated text above)' }));
          whole.appendChild(jsonBlock(result.value));
          out.appendChild(whole);
        }
        box.appendChild(out);
      } else box.appendChild(h('div', { class: 'warning', text: 'No result was recorded for this call.' }));
      return box;
    },
    memory: function (row, events) {
      var e = events[0] || {};
      var by = ix.agentByPath.get(str(e.by));
      var box = h('div', { testid: 'memory-write' });
      box.appendChild(kv([
        ['key', h('code', { text: str(e.key) })],
        ['written by', by !== undefined ? agentButton(ix.agents[by], str(e.by)) : str(e.by)],
        ['at', h('code', { text: str(e.path) })],
        ['step', row.step !== null ? str(row.step) : ''],
      ], 'memory-provenance'));
      var value = section('Value', 'memory-value');
      value.appendChild(jsonBlock(e.value));
      box.appendChild(value);
      return box;
    },
  };
  /**
   * A plan's tasks as they ran: what each called and waited for, when it started (from the
   * plan's start), how long it took, how it ended; the critical path marked and spelled out.
   */
  function planSection(row, agent) {
    var base = row.path.slice(0, row.path.lastIndexOf('/') + 1) + row.plan.callId + '.';
    // No prototype: a step key "__proto__" is a key like any other.
    var byPath = Object.create(null);
    agent.rows.forEach(function (id) { var r = ix.rows[id]; if (r.kind === 'tool') byPath[r.path] = r; });
    var tasks = row.plan.tasks.filter(function (task) { return task.kind !== 'plan'; }).map(function (task) {
      var ran = byPath[base + task.id.split('/').join('.')];
      return { task: task, row: ran, start: ran ? ran.t0 - row.t0 : undefined, ms: ran ? ran.ms : undefined };
    });
    var critical = criticalPathOf(tasks);
    var sec = section('Plan: ' + plural(tasks.length, 'task'), 'plan');
    var table = h('table', { class: 'kv plan-tasks', testid: 'plan-tasks' });
    table.appendChild(h('tr', null, ['task', 'calls', 'waits for', 'state', 'starts', 'took'].map(function (t) { return h('th', { text: t }); })));
    tasks.forEach(function (t) {
      var state = !t.row ? 'skipped' : t.row.isError ? 'failed' : t.ms === undefined ? 'running' : 'done';
      var name = t.row ? h('button', { class: 'link', testid: 'plan-task', text: t.task.id }) : h('span', { text: t.task.id });
      if (t.row) name.addEventListener('click', function () { selectRow(t.row.id, true); });
      table.appendChild(h('tr', { class: critical.indexOf(t.task.id) >= 0 ? 'critical' : '', 'data-state': state }, [
        h('td', null, name),
        h('td', { text: (t.task.kind === 'agent' ? 'agent ' : '') + t.task.name }),
        h('td', { text: t.task.needs.join(', ') }),
        h('td', { text: state }),
        h('td', { text: t.start === undefined ? '' : '+' + fmtMs(t.start) }),
        h('td', { text: t.ms === undefined ? '' : fmtMs(t.ms) }),
      ]));
    });
    sec.appendChild(table);
    if (critical.length) sec.appendChild(h('div', { testid: 'critical-path', text: 'critical path: ' + critical.join(' \u2192 ') }));
    return sec;
  }
  /** From the task that ended last, back through the input of each that ended last. */
  function criticalPathOf(tasks) {
    var byId = Object.create(null);
    tasks.forEach(function (t) { byId[t.task.id] = t; });
    function end(t) { return t && t.start !== undefined && t.ms !== undefined ? t.start + t.ms : undefined; }
    function latest(ids) {
      var best;
      ids.forEach(function (id) { var t = byId[id]; var at = end(t); if (at !== undefined && (best === undefined || at > end(best))) best = t; });
      return best;
    }
    var path = [];
    var at = latest(tasks.map(function (t) { return t.task.id; }));
    while (at && path.indexOf(at.task.id) < 0) { path.unshift(at.task.id); at = latest(at.task.needs); }
    return path;
  }
  /** The sub-agents a delegation started: same step, same name, k-th delegation of that name. */
  function delegated(row, agent) {
    var name = row.title.slice('delegate_'.length);
    var k = 0;
    for (var i = 0; i < agent.rows.length; i++) {
      var r = ix.rows[agent.rows[i]];
      if (r.id === row.id) break;
      if (r.kind === 'tool' && r.step === row.step && r.title === row.title) k++;
    }
    var path = agent.path + '/' + row.step + '/agent:' + name + '#' + k;
    var id = ix.agentByPath.get(path);
    return id === undefined ? [] : [ix.agents[id]];
  }
  function detailFields(row, events, agent) {
    var box = h('div');
    events.forEach(function (e) {
      if (!e) return;
      var pairs = [];
      Object.keys(e).forEach(function (key) {
        if (key === 'seq' || key === 't' || key === 'path') return;
        var value = e[key];
        if (key === 'error') value = errorBlock(value, 'event-error');
        else if (typeof value === 'string' && value.length > 200) value = textBlock(value);
        else if (typeof value !== 'object' || value === null) value = str(value);
        pairs.push([key, value]);
      });
      box.appendChild(kv(pairs, 'event-fields'));
    });
    if (row.kind === 'agent' && row.type === 'agent.start') box.appendChild(h('div', null, ['agent: ', agentButton(agent, 'show ' + agentLabel(agent) + ' in the tree')]));
    return box;
  }
`
