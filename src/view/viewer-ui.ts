/**
 * The DOM part of the viewer, run by the page after VIEWER_CORE. It reads the embedded lines,
 * indexes them in slices (the page stays responsive and shows progress), then renders:
 * the run header, the budget cards, the agent tree (sub-agents and steps rendered only when a
 * node is expanded, paged), a virtualized timeline (only the rows in view exist in the DOM) and
 * the detail of the selected row (its lines parsed again, only then).
 *
 * Every text goes in through text nodes or attributes, never innerHTML: nothing in a
 * transcript can become markup. Plain ES2020 in a string: no template literals.
 *
 * The script is one function, kept in parts joined in order: the start and the end here, the
 * summary, the agent tree, the timeline, the detail pane and a compaction's detail in their own
 * files (viewer-ui-*.ts).
 * Its `var`s and function declarations share that one scope.
 */
import { VIEWER_UI_COMPACTION } from './viewer-ui-compaction.js'
import { VIEWER_UI_DETAIL } from './viewer-ui-detail.js'
import { VIEWER_UI_SUMMARY } from './viewer-ui-summary.js'
import { VIEWER_UI_TIMELINE } from './viewer-ui-timeline.js'
import { VIEWER_UI_TREE } from './viewer-ui-tree.js'

/** The start: the page's data read, the state, and the DOM helpers every part uses. */
// biome-ignore lint/complexity/noUselessStringRaw: raw like every other part, so a backslash added later stays as written
const START = String.raw`
(function () {
  var ROW_H = 24;
  var OVERSCAN = 12;
  var MAX_PX = 8000000;
  var PAGE = 50;
  var LONG_TEXT = 20000;

  var app = document.getElementById('app');
  // Should a transcript still find a way to break the viewer, the page says so instead of
  // staying at "Reading…" with no word.
  window.addEventListener('error', function (event) {
    var problem = document.createElement('div');
    problem.className = 'warning';
    problem.setAttribute('data-testid', 'viewer-error');
    problem.textContent = 'The viewer failed, and what it shows may be incomplete: ' + str(event.message);
    app.insertBefore(problem, app.firstChild);
  });
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
        else if (key === 'text') el.textContent = shown(str(value));
        else if (key === 'testid') el.setAttribute('data-testid', value);
        else if (key.indexOf('on') === 0) el.addEventListener(key.slice(2), value);
        else el.setAttribute(key, value === true ? '' : key === 'title' ? shown(str(value)) : str(value));
      }
    }
    add(el, children);
    return el;
  }
  function add(el, child) {
    if (child === null || child === undefined || child === false) return;
    if (Array.isArray(child)) { for (var i = 0; i < child.length; i++) add(el, child[i]); return; }
    if (typeof child === 'object') el.appendChild(child);
    else el.appendChild(document.createTextNode(shown(str(child))));
  }
  function svg(tag, attrs) {
    var el = document.createElementNS('http://www.w3.org/2000/svg', tag);
    for (var key in attrs) el.setAttribute(key, str(attrs[key]));
    return el;
  }
  function pretty(value) {
    try {
      var text = JSON.stringify(value, null, 2);
      return text === undefined ? str(value) : text;
    } catch (error) { return str(value); }
  }
  /** A <pre>, cut at LONG_TEXT characters with a button for the rest. */
  function textBlock(text, cls, testid) {
    text = shown(str(text));
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
    if (!error || typeof error !== 'object') return textBlock(str(error), 'err-text', testid);
    var box = h('div', { class: 'errbox', testid: testid }, [
      h('b', { text: str(error.code || 'error') }), ': ', str(error.message || ''),
    ]);
    if (Array.isArray(error.issues) && error.issues.length) {
      box.appendChild(h('ul', null, error.issues.map(function (issue) {
        if (!issue || typeof issue !== 'object') return h('li', { text: str(issue) });
        var where = Array.isArray(issue.path) ? issue.path.map(str).join('.') : issue.path;
        return h('li', null, [h('code', { text: str(where || '(root)') }), ' ', str(issue.message)]);
      })));
    }
    if (error.details !== undefined) box.appendChild(jsonBlock(error.details));
    return box;
  }
`

/** The end: the events indexed in slices (the page stays responsive), then everything rendered. */
const READING = String.raw`
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
      try {
        addEvent(ix, next, event);
      } catch (error) {
        // One event the viewer cannot read is a row that says so, not the end of the page.
        addEvent(ix, next, { type: 'invalid', path: '?', seq: next - 1, problem: 'the viewer could not read this event: ' + str(error && error.message) });
      }
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

/** The whole page script: its parts joined in order. */
export const VIEWER_UI =
  START +
  VIEWER_UI_SUMMARY +
  VIEWER_UI_TREE +
  VIEWER_UI_TIMELINE +
  VIEWER_UI_DETAIL +
  VIEWER_UI_COMPACTION +
  READING
