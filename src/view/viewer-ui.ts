/**
 * The DOM part of the viewer, run by the page after VIEWER_CORE. It reads the embedded lines,
 * indexes them in slices (the page stays responsive and shows progress), then renders:
 * the run header, the budget cards, the agent tree (sub-agents and steps rendered only when a
 * node is expanded, paged), a virtualized timeline (only the rows in view exist in the DOM) and
 * the detail of the selected row (its lines parsed again, only then).
 *
 * Every text goes in through text nodes or attributes, never innerHTML: nothing in a
 * transcript can become markup. Plain ES2020 in a string: no template literals.
 */
export const VIEWER_UI = String.raw`
(function () {
  var ROW_H = 24;
  var OVERSCAN = 12;
  var MAX_PX = 8000000;
  var PAGE = 50;
  var LONG_TEXT = 20000;

  var app = document.getElementById('app');
  var dataEl = document.getElementById('baton-data');
  var meta = {};
  try { meta = JSON.parse(document.getElementById('baton-meta').textContent || '{}'); } catch (error) { meta = {}; }
  var lines = splitLines(dataEl.textContent || '');
  // The lines hold the data now: drop the DOM's copy.
  dataEl.textContent = '';
  var header = parseLine(0) || {};
  var ix = createIndex(header);
  var earlyEnd = null;
  if (lines.length > 1) {
    var last = parseLine(lines.length - 1);
    if (last && last.type === 'run.end') earlyEnd = last;
  }
  var state = {
    ready: false,
    view: null,
    selected: -1,
    kind: 'all',
    search: '',
    agentFilter: -1,
    expanded: new Set([0]),
    pages: new Map(),
  };

  function parseLine(i) {
    try { return JSON.parse(lines[i]); } catch (error) { return null; }
  }

  // ---- DOM helpers: text goes in as text nodes only ----
  function h(tag, attrs, children) {
    var el = document.createElement(tag);
    if (attrs) {
      for (var key in attrs) {
        var value = attrs[key];
        if (value === null || value === undefined || value === false) continue;
        if (key === 'class') el.className = value;
        else if (key === 'text') el.textContent = String(value);
        else if (key === 'testid') el.setAttribute('data-testid', value);
        else if (key.indexOf('on') === 0) el.addEventListener(key.slice(2), value);
        else el.setAttribute(key, value === true ? '' : String(value));
      }
    }
    add(el, children);
    return el;
  }
  function add(el, child) {
    if (child === null || child === undefined || child === false) return;
    if (Array.isArray(child)) { for (var i = 0; i < child.length; i++) add(el, child[i]); return; }
    if (typeof child === 'object') el.appendChild(child);
    else el.appendChild(document.createTextNode(String(child)));
  }
  function svg(tag, attrs) {
    var el = document.createElementNS('http://www.w3.org/2000/svg', tag);
    for (var key in attrs) el.setAttribute(key, String(attrs[key]));
    return el;
  }
  function pretty(value) {
    try {
      var text = JSON.stringify(value, null, 2);
      return text === undefined ? String(value) : text;
    } catch (error) { return String(value); }
  }
  /** A <pre>, cut at LONG_TEXT characters with a button for the rest. */
  function textBlock(text, cls, testid) {
    text = String(text);
    var pre = h('pre', { class: 'pre ' + (cls || ''), testid: testid });
    if (text.length <= LONG_TEXT) { pre.textContent = text; return pre; }
    pre.textContent = text.slice(0, LONG_TEXT);
    var more = h('button', { class: 'more', text: 'show all ' + fmtInt(text.length) + ' characters' });
    more.addEventListener('click', function () { pre.textContent = text; more.remove(); });
    return h('div', null, [pre, more]);
  }
  function jsonBlock(value, testid) {
    return textBlock(typeof value === 'string' ? value : pretty(value), 'json', testid);
  }
  /** Text a tool or a model sent: pretty-printed when it is JSON. */
  function contentBlock(text, testid) {
    if (typeof text !== 'string') return jsonBlock(text, testid);
    var first = text.trimStart().charAt(0);
    if ((first === '{' || first === '[') && text.length < 200000) {
      try { return textBlock(pretty(JSON.parse(text)), 'json', testid); } catch (error) { /* plain text */ }
    }
    return textBlock(text, '', testid);
  }
  function kv(pairs, testid) {
    var table = h('table', { class: 'kv', testid: testid });
    pairs.forEach(function (pair) {
      if (!pair) return;
      var value = pair[1];
      var cell = value !== null && typeof value === 'object' && !(value instanceof Node) ? jsonBlock(value) : value;
      table.appendChild(h('tr', null, [h('th', { text: pair[0] }), h('td', null, cell)]));
    });
    return table;
  }
  function section(title, testid, cls) {
    return h('section', { class: 'sec ' + (cls || ''), testid: testid }, h('h3', { text: title }));
  }
  function statusClass(status) {
    if (status === 'done') return 's-done';
    if (status === 'unfinished' || status === 'running' || !status) return 's-open';
    if (status === 'awaiting_approval' || status === 'aborted') return 's-warn';
    return 's-bad';
  }
  function flagClass(row) {
    return row.flag === 2 ? ' is-error' : row.flag === 1 ? ' is-warn' : '';
  }
  function kindLabel(row) {
    if (row.kind === 'tool') return row.title.indexOf('delegate_') === 0 ? 'delegate' : 'tool';
    return row.title || row.kind;
  }
  function agentColor(agent) {
    return 'hsl(' + ((agent.id * 137) % 360) + ' 55% 34%)';
  }
  function errorBlock(error, testid) {
    if (!error || typeof error !== 'object') return textBlock(String(error), 'err-text', testid);
    var box = h('div', { class: 'errbox', testid: testid }, [
      h('b', { text: String(error.code || 'error') }), ': ', String(error.message || ''),
    ]);
    if (Array.isArray(error.issues) && error.issues.length) {
      box.appendChild(h('ul', null, error.issues.map(function (issue) {
        var where = Array.isArray(issue.path) ? issue.path.join('.') : issue.path;
        return h('li', null, [h('code', { text: String(where || '(root)') }), ' ', String(issue.message)]);
      })));
    }
    if (error.details !== undefined) box.appendChild(jsonBlock(error.details));
    return box;
  }

  // ---- header ----
  var hdr = document.getElementById('hdr');
  function renderHeader() {
    var end = ix.runEnd || earlyEnd;
    var root = header.agent || {};
    var status = end ? String(end.status) : state.ready ? 'unfinished' : 'reading';
    var usage = end && end.usage ? end.usage : null;
    var totals = usage || ix.totals;
    var parts = [];
    parts.push(h('div', { class: 'h-top' }, [
      h('h1', { testid: 'run-agent', text: String(root.name || 'run') }),
      h('span', { class: 'status ' + statusClass(status), testid: 'run-status', text: status }),
      end ? h('span', { class: 'stop' }, ['stop reason ', h('b', { testid: 'stop-reason', text: String(end.stopReason) })]) : null,
      h('span', { class: 'muted grow', text: [header.runId, header.startedAt, 'Baton ' + header.baton, 'schema v' + header.version].filter(Boolean).join(' \u00b7 ') }),
    ]));
    if (end && end.error) parts.push(errorBlock(end.error, 'run-error'));
    var task = typeof header.task === 'string' ? header.task : pretty(header.task);
    parts.push(h('div', { class: 'task', testid: 'run-task' }, [h('span', { class: 'muted', text: 'task ' }), preview(task, 400)]));
    var stats = [
      ['tokens in / out', fmtInt(totals.inputTokens || 0) + ' / ' + fmtInt(totals.outputTokens || 0)],
      ['cost', fmtUsd(totals.costUsd || 0)],
      ['model calls', fmtInt(totals.steps || 0)],
      ['tool calls', fmtInt(totals.toolCalls || 0)],
    ];
    if (usage && typeof usage.wallMs === 'number') stats.push(['wall time', fmtMs(usage.wallMs)]);
    if (usage && usage.cachedInputTokens) stats.push(['cached input', fmtInt(usage.cachedInputTokens)]);
    if (usage && usage.reasoningTokens) stats.push(['reasoning', fmtInt(usage.reasoningTokens)]);
    stats.push(['events', fmtInt(lines.length - 1)]);
    if (state.ready) stats.push(['agents', fmtInt(ix.agents.length)], ['memory writes', fmtInt(ix.memoryWrites)], ['problems', fmtInt(ix.problems)]);
    parts.push(h('div', { class: 'stats', testid: 'run-totals' }, stats.map(function (s) {
      return h('span', { class: 'stat' }, [h('b', { text: s[1] }), h('small', { text: s[0] })]);
    })));
    var notes = [];
    if (header.from) notes.push('This run ' + (header.from.mode === 'replay' ? 'replayed' : header.from.mode === 'resume' ? 'resumed' : 'forked') + ' run ' + header.from.runId + '.');
    if (header.source) notes.push('Agent module: ' + header.source.module + (header.source.export ? '#' + header.source.export : '') + '.');
    if (notes.length) parts.push(h('div', { class: 'muted', text: notes.join(' ') }));
    if (meta.truncated) parts.push(h('div', { class: 'warning', testid: 'run-warning', text: 'The last line of the transcript was cut off (a crash mid-write) and is not shown.' }));
    if (!end && state.ready) parts.push(h('div', { class: 'warning', testid: 'run-warning', text: 'No run.end: the process died during the run (or the file was still being written). Everything recorded up to then is shown.' }));
    if (end && end.output !== undefined) {
      var out = h('details', { class: 'output', testid: 'run-output' }, h('summary', { text: 'output' }));
      out.appendChild(contentBlock(typeof end.output === 'string' ? end.output : pretty(end.output)));
      parts.push(out);
    }
    if (!state.ready) parts.push(h('div', { class: 'loading', testid: 'loading', id: 'loading', text: 'Reading ' + fmtInt(lines.length - 1) + ' events\u2026' }));
    hdr.replaceChildren.apply(hdr, parts);
  }

  // ---- budget ----
  var METRICS = [
    { key: 'tokens', label: 'tokens', limit: 'maxTokens', fmt: fmtInt },
    { key: 'cost', label: 'cost', limit: 'maxCostUsd', fmt: fmtUsd },
    { key: 'steps', label: 'model calls', limit: 'maxSteps', fmt: fmtInt },
    { key: 'tools', label: 'tool calls', limit: 'maxToolCalls', fmt: fmtInt },
  ];
  function renderBudget() {
    var el = document.getElementById('budget');
    var limits = header.budget || {};
    var s = ix.series;
    var n = s.x.length;
    var byTime = ix.lastT > 0;
    var xMax = byTime ? ix.lastT : Math.max(1, n - 1);
    var cards = [h('div', { class: 'bhead' }, [h('h2', { text: 'Budget' }), h('div', { class: 'muted', text: 'use over ' + (byTime ? 'time' : 'events') + ' against the root\u2019s limits (dashed)' })])];
    METRICS.forEach(function (m) {
      var ys = s[m.key];
      var used = n ? ys[n - 1] : 0;
      var max = typeof limits[m.limit] === 'number' ? limits[m.limit] : undefined;
      cards.push(budgetCard(m.key, m.label, used, max, m.fmt, m.limit, function (W, H) {
        var top = Math.max(used, max || 0) || 1;
        var stride = Math.max(1, Math.ceil(n / 300));
        var points = ['0,' + H];
        for (var i = 0; i < n; i += stride) points.push(px(i));
        if (n) points.push(px(n - 1));
        points.push(W + ',' + (n ? H - (used / top) * H : H));
        function px(i) {
          var x = ((byTime ? s.x[i] : i) / xMax) * W;
          return x.toFixed(1) + ',' + (H - (ys[i] / top) * H).toFixed(1);
        }
        var g = [svg('polyline', { points: points.join(' '), class: 'used-line' })];
        if (max !== undefined) {
          var y = H - (max / top) * H;
          g.push(svg('line', { x1: 0, x2: W, y1: y, y2: y, class: 'limit-line' }));
        }
        return g;
      }));
    });
    var end = ix.runEnd;
    var wall = end && end.usage && typeof end.usage.wallMs === 'number' ? end.usage.wallMs : ix.lastT;
    cards.push(budgetCard('wall', 'wall time', wall, typeof limits.maxWallMs === 'number' ? limits.maxWallMs : undefined, fmtMs, 'maxWallMs'));
    var depth = 0;
    ix.agents.forEach(function (a) { if (a.depth > depth) depth = a.depth; });
    cards.push(budgetCard('depth', 'sub-agent depth', depth, typeof limits.maxDepth === 'number' ? limits.maxDepth : undefined, fmtInt, 'maxDepth'));
    el.replaceChildren.apply(el, cards);
  }
  function budgetCard(key, label, used, max, fmt, limitName, chart) {
    var card = h('div', { class: 'bcard', testid: 'budget-' + key });
    var over = max !== undefined && used > max;
    card.appendChild(h('div', { class: 'btitle' }, [h('b', { text: label }), ' ', h('small', { class: 'muted', text: limitName })]));
    card.appendChild(h('div', { class: 'bnums' + (over ? ' over' : ''), testid: 'budget-used' },
      fmt(used) + (max !== undefined ? ' / ' + fmt(max) + ' (' + (max ? Math.round((used / max) * 100) : 100) + '%)' : ' \u00b7 no limit')));
    if (max !== undefined) {
      var left = Math.max(0, max - used);
      var meter = h('div', { class: 'meter', title: 'left: ' + fmt(left) });
      var fill = h('div', { class: 'fill' + (over ? ' over' : '') });
      fill.style.width = (max ? Math.max(0, Math.min(1, left / max)) * 100 : 0).toFixed(1) + '%';
      meter.appendChild(fill);
      card.appendChild(meter);
      card.appendChild(h('div', { class: 'muted small', text: 'left: ' + fmt(left) }));
    }
    if (chart) {
      var W = 150;
      var H = 40;
      var box = svg('svg', { viewBox: '0 0 ' + W + ' ' + H, width: W, height: H, class: 'spark', preserveAspectRatio: 'none' });
      chart(W, H).forEach(function (child) { box.appendChild(child); });
      card.appendChild(box);
    }
    return card;
  }

  // ---- agent tree ----
  var treeEl = document.getElementById('tree');
  function renderTree() {
    var roots = [];
    ix.agents.forEach(function (a) { if (a.parent < 0) roots.push(a.id); });
    treeEl.replaceChildren.apply(treeEl, roots.map(nodeEl));
  }
  function rerenderNode(id) {
    var old = treeEl.querySelector('[data-agent-id="' + id + '"]');
    if (old) old.replaceWith(nodeEl(id));
    else renderTree();
  }
  function nodeEl(id) {
    var a = ix.agents[id];
    var open = state.expanded.has(id);
    var u = a.usage || a.total || a.own;
    var status = a.status || 'unfinished';
    var node = h('div', { class: 'node', testid: 'agent-node', 'data-agent-id': id, 'data-path': a.path, 'data-agent': a.name, 'data-expanded': String(open) });
    var label = h('button', { class: 'alabel', testid: 'agent-label', title: 'Show only this agent (and its sub-agents) in the timeline: ' + a.path, text: agentLabel(a) });
    label.style.color = agentColor(a);
    label.addEventListener('click', function () { setAgentFilter(state.agentFilter === id ? -1 : id); });
    var toggle = h('button', { class: 'tog', testid: 'agent-toggle', 'aria-expanded': String(open), title: open ? 'collapse' : 'expand: steps and sub-agents', text: open ? '\u25be' : '\u25b8' });
    toggle.addEventListener('click', function () {
      if (state.expanded.has(id)) state.expanded.delete(id); else state.expanded.add(id);
      rerenderNode(id);
    });
    // Delegations are counted per step (researcher#0 in step 1 and in step 2): say which step.
    var cut = a.path.lastIndexOf('/agent:');
    var from = cut < 0 ? null : a.path.slice(a.path.lastIndexOf('/', cut - 1) + 1, cut);
    node.appendChild(h('div', { class: 'nline' + (state.agentFilter === id ? ' filtered' : '') }, [
      toggle, label,
      from ? h('span', { class: 'muted small', title: a.path, text: 'step ' + from }) : null,
      h('span', { class: 'status ' + statusClass(status), testid: 'agent-status', text: status }),
      h('span', { class: 'nstats', testid: 'agent-stats', text: plural(u.steps || 0, 'step') + ' \u00b7 ' + fmtInt((u.inputTokens || 0) + (u.outputTokens || 0)) + ' tok \u00b7 ' + fmtUsd(u.costUsd || 0) }),
    ]));
    if (open) node.appendChild(nodeBody(a));
    return node;
  }
  function nodeBody(a) {
    var body = h('div', { class: 'nbody' });
    body.appendChild(h('div', { class: 'ninfo muted', testid: 'agent-info', text: [a.model, a.stopReason ? 'stop reason ' + a.stopReason : '', a.task ? 'task: ' + preview(a.task, 160) : ''].filter(Boolean).join(' \u00b7 ') }));
    if (a.error) body.appendChild(errorBlock(a.error, 'agent-error'));
    if (a.children.length) {
      var kids = h('div', { class: 'children', testid: 'agent-children' });
      var shownKids = state.pages.get('c' + a.id) || PAGE;
      a.children.slice(0, shownKids).forEach(function (child) { kids.appendChild(nodeEl(child)); });
      if (a.children.length > shownKids) kids.appendChild(moreButton(a.children.length - shownKids, 'sub-agents', 'c' + a.id, a.id));
      body.appendChild(kids);
    }
    var steps = [];
    for (var i = 0; i < a.rows.length; i++) {
      var row = ix.rows[a.rows[i]];
      if (row.kind !== 'agent' && row.kind !== 'run') steps.push(row);
    }
    if (steps.length) {
      var list = h('div', { class: 'steps', testid: 'agent-steps' });
      var shown = state.pages.get('s' + a.id) || PAGE;
      steps.slice(0, shown).forEach(function (row) { list.appendChild(stepItem(row)); });
      if (steps.length > shown) list.appendChild(moreButton(steps.length - shown, 'steps', 's' + a.id, a.id));
      body.appendChild(list);
    }
    return body;
  }
  function moreButton(left, what, key, id) {
    var button = h('button', { class: 'more', text: 'show ' + Math.min(left, PAGE * 4) + ' more ' + what + ' (' + fmtInt(left) + ' left)' });
    button.addEventListener('click', function () {
      state.pages.set(key, (state.pages.get(key) || PAGE) + PAGE * 4);
      rerenderNode(id);
    });
    return button;
  }
  function stepItem(row) {
    var item = h('div', { class: 'step k-' + row.kind + flagClass(row), testid: 'agent-step', 'data-kind': row.kind, 'data-seq': row.seq, title: row.path }, [
      h('span', { class: 'snum', text: row.step !== null ? '#' + row.step : '' }),
      h('span', { class: 'badge k-' + row.kind, text: kindLabel(row) }),
      h('span', { class: 'stext', text: row.text }),
    ]);
    item.addEventListener('click', function () { selectRow(row.id, true); });
    return item;
  }
  function revealAgent(id) {
    for (var a = ix.agents[id]; a; a = a.parent >= 0 ? ix.agents[a.parent] : null) state.expanded.add(a.id);
    renderTree();
    var node = treeEl.querySelector('[data-agent-id="' + id + '"]');
    if (node) {
      node.scrollIntoView({ block: 'nearest' });
      node.classList.add('flash');
      setTimeout(function () { node.classList.remove('flash'); }, 1200);
    }
  }

  // ---- timeline: a virtualized list ----
  var scroller = document.getElementById('tl-scroll');
  var spacer = document.getElementById('tl-spacer');
  var win = document.getElementById('tl-win');
  var bar = document.getElementById('tl-bar');
  var countEl = h('span', { class: 'muted', testid: 'row-count' });
  var kindSelect = h('select', { testid: 'filter-kind', title: 'Show rows of one kind', disabled: true }, [
    ['all', 'all rows'], ['model', 'model calls'], ['tool', 'tool calls'], ['memory', 'memory writes'],
    ['agent', 'agents'], ['problems', 'errors and warnings'],
  ].map(function (o) { return h('option', { value: o[0], text: o[1] }); }));
  var searchInput = h('input', { type: 'search', testid: 'filter-search', placeholder: 'search the events (Enter)', disabled: true });
  var agentChip = h('span', { class: 'chip', testid: 'filter-agent', hidden: true });
  bar.replaceChildren(kindSelect, searchInput, agentChip, countEl);
  kindSelect.addEventListener('change', function () { state.kind = kindSelect.value; applyFilters(); });
  var searchTimer = 0;
  searchInput.addEventListener('input', function () {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(function () { setSearch(searchInput.value); }, 350);
  });
  searchInput.addEventListener('keydown', function (event) {
    if (event.key === 'Enter') { clearTimeout(searchTimer); setSearch(searchInput.value); }
  });
  function setSearch(text) {
    if (text === state.search) return;
    state.search = text;
    applyFilters();
  }
  function setAgentFilter(id) {
    state.agentFilter = id;
    if (id >= 0) {
      agentChip.hidden = false;
      var clear = h('button', { class: 'x', title: 'show every agent', text: '\u00d7' });
      clear.addEventListener('click', function () { setAgentFilter(-1); });
      agentChip.replaceChildren('agent: ' + agentLabel(ix.agents[id]) + ' ', clear);
    } else {
      agentChip.hidden = true;
      agentChip.replaceChildren();
    }
    renderTree();
    applyFilters();
  }
  function applyFilters() {
    var kind = state.kind;
    var query = state.search.trim().toLowerCase();
    if (kind === 'all' && !query && state.agentFilter < 0) state.view = null;
    else {
      var allowed = null;
      if (state.agentFilter >= 0) {
        allowed = new Uint8Array(ix.agents.length);
        var stack = [state.agentFilter];
        while (stack.length) {
          var id = stack.pop();
          allowed[id] = 1;
          ix.agents[id].children.forEach(function (c) { stack.push(c); });
        }
      }
      // The lines are JSON with "<" written as \u003c: look for the text and its JSON form.
      var needles = [];
      if (query) {
        needles.push(query);
        var escaped = JSON.stringify(query).slice(1, -1).replace(/</g, '\\u003c');
        if (escaped !== query) needles.push(escaped);
      }
      var out = [];
      for (var i = 0; i < ix.rows.length; i++) {
        var row = ix.rows[i];
        if (kind === 'problems' ? row.flag === 0 : kind !== 'all' && row.kind !== kind) continue;
        if (allowed && !allowed[row.agent]) continue;
        if (needles.length && !matches(row, needles)) continue;
        out.push(i);
      }
      state.view = out;
    }
    var at = state.selected >= 0 ? positionOf(state.selected) : -1;
    if (at >= 0) scrollToPosition(at);
    else scroller.scrollTop = 0;
    draw();
  }
  function matches(row, needles) {
    var text = row.text.toLowerCase();
    for (var n = 0; n < needles.length; n++) if (text.indexOf(needles[n]) >= 0) return true;
    for (var l = 0; l < row.lines.length; l++) {
      var line = lines[row.lines[l]].toLowerCase();
      for (var m = 0; m < needles.length; m++) if (line.indexOf(needles[m]) >= 0) return true;
    }
    return false;
  }
  function count() { return state.view ? state.view.length : ix.rows.length; }
  function rowIdAt(i) { return state.view ? state.view[i] : i; }
  /** Where a row is in the current view (binary search: views keep row order), or -1. */
  function positionOf(id) {
    if (!state.view) return id < ix.rows.length ? id : -1;
    var lo = 0;
    var hi = state.view.length - 1;
    while (lo <= hi) {
      var mid = (lo + hi) >> 1;
      var v = state.view[mid];
      if (v === id) return mid;
      if (v < id) lo = mid + 1; else hi = mid - 1;
    }
    return -1;
  }
  function geometry() {
    var n = count();
    var full = n * ROW_H;
    var viewH = scroller.clientHeight || 400;
    return { n: n, scaled: full > MAX_PX, height: Math.min(full, MAX_PX), viewH: viewH, visible: Math.ceil(viewH / ROW_H) + 1 };
  }
  function scrollToPosition(i) {
    var g = geometry();
    // The spacer first: a scroll position past its old height would be clamped.
    spacer.style.height = g.height + 'px';
    if (!g.scaled) scroller.scrollTop = Math.max(0, i * ROW_H - g.viewH / 3);
    else scroller.scrollTop = (i / Math.max(1, g.n - g.visible)) * Math.max(0, g.height - g.viewH);
  }
  var drawQueued = false;
  function queueDraw() {
    if (drawQueued) return;
    drawQueued = true;
    requestAnimationFrame(function () { drawQueued = false; draw(); });
  }
  function draw() {
    var g = geometry();
    spacer.style.height = g.height + 'px';
    var first;
    var top;
    var lastRow;
    if (!g.scaled) {
      first = Math.max(0, Math.floor(scroller.scrollTop / ROW_H) - OVERSCAN);
      top = first * ROW_H;
      lastRow = Math.min(g.n, Math.floor(scroller.scrollTop / ROW_H) + g.visible + OVERSCAN);
    } else {
      // Past what an element can be tall: the scrollbar maps onto the rows proportionally.
      var ratio = scroller.scrollTop / Math.max(1, g.height - g.viewH);
      first = Math.max(0, Math.min(g.n - g.visible, Math.round(ratio * (g.n - g.visible))));
      lastRow = Math.min(g.n, first + g.visible);
      // Kept inside the spacer, or the scroll height would grow with every scroll to the end.
      top = Math.max(0, Math.min(scroller.scrollTop, g.height - (lastRow - first) * ROW_H));
    }
    win.style.transform = 'translateY(' + top + 'px)';
    var frag = document.createDocumentFragment();
    for (var i = first; i < lastRow; i++) frag.appendChild(rowEl(ix.rows[rowIdAt(i)]));
    win.replaceChildren(frag);
    countEl.textContent = state.view
      ? fmtInt(state.view.length) + ' of ' + plural(ix.rows.length, 'row')
      : plural(ix.rows.length, 'row') + ' \u00b7 ' + plural(ix.events, 'event');
  }
  function rowEl(row) {
    var agent = ix.agents[row.agent];
    var span = Math.max(1, ix.lastT);
    var mark = h('span', { class: 'mark' });
    mark.style.left = ((row.t0 / span) * 100).toFixed(2) + '%';
    mark.style.width = 'max(2px, ' + (((row.t1 - row.t0) / span) * 100).toFixed(2) + '%)';
    var who = h('span', { class: 'c-agent', text: agentLabel(agent) + (row.step !== null ? ' \u00b7 ' + row.step : '') });
    who.style.color = agentColor(agent);
    who.style.paddingLeft = Math.min(agent.depth, 6) * 8 + 'px';
    return h('div', {
      class: 'row k-' + row.kind + flagClass(row) + (row.id === state.selected ? ' sel' : ''),
      testid: 'timeline-row', 'data-row': row.id, 'data-seq': row.seq, 'data-kind': row.kind, title: row.path,
    }, [
      h('span', { class: 'c-seq', text: String(row.seq) }),
      h('span', { class: 'c-t', text: fmtMs(row.t0) }),
      h('span', { class: 'c-when' }, mark),
      who,
      h('span', { class: 'c-kind' }, h('span', { class: 'badge k-' + row.kind, text: kindLabel(row) })),
      h('span', { class: 'c-text', text: row.text + (row.note ? '  [' + row.note + ']' : '') }),
      h('span', { class: 'c-meta', text: row.meta }),
    ]);
  }
  scroller.addEventListener('scroll', queueDraw, { passive: true });
  window.addEventListener('resize', queueDraw);
  win.addEventListener('click', function (event) {
    var target = event.target.closest('[data-row]');
    if (target) selectRow(Number(target.getAttribute('data-row')), false);
  });
  scroller.addEventListener('keydown', function (event) {
    if (event.key !== 'ArrowDown' && event.key !== 'ArrowUp') return;
    event.preventDefault();
    var at = state.selected >= 0 ? positionOf(state.selected) : -1;
    var next = Math.max(0, Math.min(count() - 1, at + (event.key === 'ArrowDown' ? 1 : -1)));
    if (count()) selectRow(rowIdAt(next), true);
  });
  function selectRow(id, reveal) {
    state.selected = id;
    if (reveal) {
      if (positionOf(id) < 0) {
        state.kind = 'all';
        kindSelect.value = 'all';
        state.search = '';
        searchInput.value = '';
        if (state.agentFilter >= 0) setAgentFilter(-1); else applyFilters();
      }
      var at = positionOf(id);
      var g = geometry();
      var top = at * ROW_H;
      if (g.scaled || top < scroller.scrollTop || top > scroller.scrollTop + g.viewH - ROW_H) scrollToPosition(at);
    }
    draw();
    renderDetail(ix.rows[id]);
  }

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
      h('span', { class: 'muted', text: ' \u00b7 seq ' + events.map(function (e) { return e ? e.seq : '?'; }).join(', ') + ' \u00b7 t ' + fmtMs(row.t0) + ' \u00b7 agent ' }),
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
    var role = String(m.role);
    var head = [h('span', { class: 'role', text: role })];
    if (role === 'tool') head.push(' ', h('code', { text: String(m.toolName) + ' \u00b7 ' + String(m.toolCallId) }));
    if (m.isError) head.push(' ', h('span', { class: 'errtag', text: 'error' }));
    var el = h('div', { class: 'msg r-' + role + (m.isError ? ' is-error' : ''), testid: 'message', 'data-role': role }, h('div', { class: 'mhead' }, head));
    if (Array.isArray(m.reasoning) && m.reasoning.length) el.appendChild(reasoningEl(m.reasoning));
    if (m.content !== undefined && m.content !== '') el.appendChild(contentBlock(m.content, 'message-content'));
    if (Array.isArray(m.toolCalls)) m.toolCalls.forEach(function (c) { el.appendChild(toolCallEl(c)); });
    return el;
  }
  function toolCallEl(call) {
    var el = h('div', { class: 'tcall', testid: 'tool-call' }, [
      h('div', null, ['\u2192 ', h('b', { text: String(call && call.name) }), ' ', h('code', { class: 'muted', text: String(call && call.id) })]),
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
        var data = h('details', null, h('summary', { text: 'provider data' + (part.provider ? ' (' + part.provider + ')' : '') }));
        data.appendChild(jsonBlock(part.data));
        el.appendChild(data);
      }
    });
    return el;
  }
  /** Every message of an agent's requests up to this one: what the model was sent in full. */
  function fullHistory(row) {
    var agent = ix.agents[row.agent];
    var messages = [];
    for (var i = 0; i < agent.rows.length; i++) {
      var r = ix.rows[agent.rows[i]];
      if (r.id > row.id) break;
      if (r.kind !== 'model' || r.goal) continue;
      var request = find(r.lines.map(parseLine), 'model.request');
      if (request && Array.isArray(request.messages)) messages = messages.concat(request.messages);
    }
    return messages;
  }
  var DETAIL = {
    model: function (row, events) {
      var box = h('div');
      var request = find(events, 'model.request');
      var response = find(events, 'model.response');
      var failure = find(events, 'model.error');
      if (request) {
        box.appendChild(kv([
          ['model', String(request.model)],
          ['request hash', String(request.hash)],
          ['spec hash', String(request.specHash)],
          request.maxTokens !== undefined ? ['max tokens', fmtInt(request.maxTokens)] : null,
        ]));
        var messages = Array.isArray(request.messages) ? request.messages : [];
        var sent = section(row.goal ? 'Request (' + plural(messages.length, 'message') + ')' : 'Request: ' + plural(messages.length, 'new message'), 'request-messages');
        messages.forEach(function (m) { sent.appendChild(messageEl(m)); });
        if (!row.goal) {
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
          retry.appendChild(h('div', { testid: 'retry', text: 'attempt ' + e.attempt + ' failed: ' + e.code + (e.status ? ' (HTTP ' + e.status + ')' : '') + ' ' + preview(e.message, 300) + '; waited ' + fmtMs(e.delayMs) }));
        });
        box.appendChild(retry);
      }
      if (response) {
        var answer = section('Response', 'response');
        var u = response.usage || {};
        answer.appendChild(kv([
          ['finish', String(response.finishReason)],
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
        ['tool', String(first.name)],
        ['call id', String(first.callId)],
        result ? ['duration', fmtMs(result.durationMs)] : null,
      ]));
      if (row.title.indexOf('delegate_') === 0 && row.step !== null) {
        var subs = delegated(row, agent);
        if (subs.length) box.appendChild(h('div', { class: 'subs' }, ['sub-agent: '].concat(subs.map(function (s) { return agentButton(s); }))));
      }
      var args = section('Arguments', 'tool-args-section');
      args.appendChild(jsonBlock(call ? call.args : approval ? approval.args : undefined, 'tool-args'));
      box.appendChild(args);
      if (approval) {
        var wait = section('Approval requested', 'approval', 'warn');
        wait.appendChild(jsonBlock(approval.args));
        box.appendChild(wait);
      }
      var progress = events.filter(function (e) { return e && e.type === 'tool.progress'; });
      if (progress.length) {
        var steps = section('Progress (' + progress.length + ')', 'progress');
        progress.forEach(function (e) { steps.appendChild(jsonBlock(e.data)); });
        box.appendChild(steps);
      }
      if (result) {
        var out = section(result.isError ? 'Result: error' : 'Result', 'tool-result', result.isError ? 'bad' : '');
        out.setAttribute('data-error', String(result.isError === true));
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
      var by = ix.agentByPath.get(String(e.by));
      var box = h('div', { testid: 'memory-write' });
      box.appendChild(kv([
        ['key', h('code', { text: String(e.key) })],
        ['written by', by !== undefined ? agentButton(ix.agents[by], String(e.by)) : String(e.by)],
        ['at', h('code', { text: String(e.path) })],
        ['step', row.step !== null ? String(row.step) : ''],
      ], 'memory-provenance'));
      var value = section('Value', 'memory-value');
      value.appendChild(jsonBlock(e.value));
      box.appendChild(value);
      return box;
    },
  };
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
        else if (typeof value !== 'object' || value === null) value = String(value);
        pairs.push([key, value]);
      });
      box.appendChild(kv(pairs, 'event-fields'));
    });
    if (row.kind === 'agent' && row.type === 'agent.start') box.appendChild(h('div', null, ['agent: ', agentButton(agent, 'show ' + agentLabel(agent) + ' in the tree')]));
    return box;
  }

  // ---- reading the events, in slices ----
  renderHeader();
  treeEl.replaceChildren(h('div', { class: 'muted', text: 'Reading\u2026' }));
  draw();
  var next = 1;
  var channel = new MessageChannel();
  channel.port1.onmessage = slice;
  function slice() {
    var until = performance.now() + 24;
    while (next < lines.length) {
      var event = parseLine(next);
      if (!event || typeof event !== 'object') event = { type: 'invalid', path: '?', seq: next - 1 };
      addEvent(ix, next, event);
      next++;
      if ((next & 127) === 0 && performance.now() > until) break;
    }
    var loading = document.getElementById('loading');
    if (loading) loading.textContent = 'Reading events: ' + fmtInt(next - 1) + ' of ' + fmtInt(lines.length - 1) + '\u2026';
    queueDraw();
    if (next < lines.length) channel.port2.postMessage(null);
    else finish();
  }
  function finish() {
    finishIndex(ix);
    state.ready = true;
    renderHeader();
    renderBudget();
    renderTree();
    kindSelect.disabled = false;
    searchInput.disabled = false;
    draw();
    app.setAttribute('data-ready', 'true');
  }
  channel.port2.postMessage(null);
})();
`
