/**
 * The part of the viewer that needs no DOM: it indexes a transcript's lines into rows (one per
 * model call, tool call or other event), agents and budget series. It ships inside the HTML
 * page as plain JavaScript, and the unit tests run the same text in Node.
 *
 * Kept as a string (no build step bundles browser code): plain ES2020, no template literals.
 * Every line is parsed once while indexing and its object dropped; a row keeps only the line
 * numbers of its events and short previews, and the detail view parses those lines again.
 */
import { VIEWER_EVENTS } from './viewer-core-events.js'

export const VIEWER_CORE =
  String.raw`
'use strict';

/** The agent path an event belongs to: "root", or up to the last "agent:<name>#<k>" segment. */
function agentPathOf(path) {
  var i = path.lastIndexOf('/agent:');
  if (i < 0) {
    var s = path.indexOf('/');
    return s < 0 ? path : path.slice(0, s);
  }
  var j = path.indexOf('/', i + 1);
  return j < 0 ? path : path.slice(0, j);
}

/** The agent that delegated to this one, or null for the root. */
function parentAgentPath(agentPath) {
  var i = agentPath.lastIndexOf('/agent:');
  return i < 0 ? null : agentPathOf(agentPath.slice(0, i));
}

/** The step number of a step key inside its agent, or null for agent-level events. */
function stepOf(path, agentPath) {
  if (path.length <= agentPath.length) return null;
  var rest = path.slice(agentPath.length + 1);
  var slash = rest.indexOf('/');
  var segment = slash < 0 ? rest : rest.slice(0, slash);
  return /^\d+$/.test(segment) ? Number(segment) : null;
}

/**
 * Whether a step key is a model call beside the agent's own steps: a goal scorer's judge
 * (<step>/goal/...), a compaction's summary (<step>/compact/model) or an MCP server's sampling
 * request (<call>/sample/<n>/model). Its request is whole, not the agent's history.
 */
function isSideCall(path) {
  return path.indexOf('/goal/') >= 0 || path.indexOf('/compact/') >= 0 || path.indexOf('/sample/') >= 0;
}

function safeJson(value) {
  try {
    var text = JSON.stringify(value);
    return text === undefined ? String(value) : text;
  } catch (error) {
    // Too deep for this engine: String() would throw as well on an object like {"toString":1}.
    return Array.isArray(value) ? '[\u2026]' : '{\u2026}';
  }
}

/**
 * Any value of a transcript as text. String() and + call an object's own toString and valueOf,
 * and a transcript can hold {"toString":1}: that would throw and stop the page. Objects are
 * written as JSON instead.
 */
function str(value) {
  if (typeof value === 'string') return value;
  if (value === null || typeof value !== 'object') return String(value);
  return safeJson(value);
}

/** A transcript's value as a number to add up: anything else (a string, an object) counts 0. */
function num(value) {
  return typeof value === 'number' && isFinite(value) ? value : 0;
}

/**
 * Text as the page shows it: a bidirectional control (U+202E RIGHT-TO-LEFT OVERRIDE and the
 * like) is written out as its code point, so that a name, an argument or a result cannot read
 * backwards or reorder the text after it.
 */
var BIDI_CONTROLS = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
function shown(text) {
  return text.replace(BIDI_CONTROLS, function (c) {
    return '\u27e8U+' + ('000' + c.charCodeAt(0).toString(16).toUpperCase()).slice(-4) + '\u27e9';
  });
}

var hasOwn = Object.prototype.hasOwnProperty;
/**
 * A table's entry for a key from a transcript: never one every object inherits (an event type
 * "valueOf" or "__proto__" must not find Object.prototype's).
 */
function lookup(table, key) {
  return hasOwn.call(table, key) ? table[key] : undefined;
}

/** One line of text, at most max characters. */
function preview(value, max) {
  var text = typeof value === 'string' ? value : value === undefined ? '' : safeJson(value);
  if (text.length > max * 4) text = text.slice(0, max * 4);
  text = text.replace(/\s+/g, ' ').trim();
  return text.length > max ? text.slice(0, max - 1) + '\u2026' : text;
}

/** 12345 -> "12,345" (toLocaleString is far too slow for a hundred thousand rows). */
function fmtInt(n) {
  if (typeof n !== 'number' || !isFinite(n) || Math.abs(n) >= 1e21) return str(n);
  var digits = String(Math.abs(Math.round(n)));
  var out = '';
  while (digits.length > 3) {
    out = ',' + digits.slice(-3) + out;
    digits = digits.slice(0, -3);
  }
  return (n < 0 && Math.round(n) !== 0 ? '-' : '') + digits + out;
}

function fmtUsd(n) {
  if (typeof n !== 'number' || !isFinite(n)) return str(n);
  return '$' + (n !== 0 && Math.abs(n) < 0.01 ? n.toFixed(6) : n.toFixed(4));
}

function fmtMs(n) {
  if (typeof n !== 'number' || !isFinite(n)) return '';
  return n >= 10000 ? (n / 1000).toFixed(1) + ' s' : fmtInt(n) + ' ms';
}

function plural(n, word) {
  return fmtInt(n) + ' ' + word + (n === 1 ? '' : 's');
}

/** Model and tool calls are grouped by step key: one row per call. */
var GROUP = {
  'model.request': 'model',
  'model.retry': 'model',
  'model.queued': 'model',
  'model.route': 'model',
  'model.fallback': 'model',
  'model.response': 'model',
  'model.delta': 'model',
  'model.restart': 'model',
  'model.error': 'model',
  'tool.call': 'tool',
  'tool.progress': 'tool',
  'plan.start': 'tool',
  'approval.request': 'tool',
  'approval.decision': 'tool',
  'tool.result': 'tool',
  // An MCP server's request for input and its answer share a step key: one row.
  'elicitation.request': 'input',
  'elicitation.answer': 'input',
};

var KIND = {
  'run.start': 'run',
  'run.end': 'run',
  'agent.start': 'agent',
  'agent.end': 'agent',
  'memory.write': 'memory',
  'context.compact': 'context',
  'goal.check': 'goal',
  'budget.exceeded': 'budget',
  'budget.warning': 'budget',
  'stall.warning': 'stall',
  'sampling.request': 'sampling',
  'tools.change': 'tools',
};

/** Every event type the viewer knows; anything else still gets a row of kind "other". */
var EVENT_TYPES = Object.keys(GROUP).concat(Object.keys(KIND));

function createIndex(header) {
  return {
    header: header,
    agents: [],
    agentByPath: new Map(),
    rows: [],
    openCalls: new Map(),
    series: { x: [], tokens: [], cost: [], steps: [], tools: [] },
    totals: { inputTokens: 0, outputTokens: 0, costUsd: 0, steps: 0, toolCalls: 0 },
    // No prototype: an event type "__proto__" or "constructor" is counted like any other.
    counts: Object.create(null),
    events: 0,
    lastT: 0,
    runStart: null,
    runEnd: null,
    memoryWrites: 0,
    compactions: 0,
    problems: 0,
  };
}

/**
 * The agent at an agent path, made (with any ancestors not seen yet) when new. A loop, not a
 * recursion: a hand-made step key can nest agents deeper than the stack goes.
 */
function ensureAgent(ix, path) {
  var id = ix.agentByPath.get(path);
  if (id !== undefined) return ix.agents[id];
  var missing = [path];
  var parent = null;
  for (var up = parentAgentPath(path); up !== null; up = parentAgentPath(up)) {
    var known = ix.agentByPath.get(up);
    if (known !== undefined) {
      parent = ix.agents[known];
      break;
    }
    missing.push(up);
  }
  for (var i = missing.length - 1; i >= 0; i--) parent = newAgent(ix, missing[i], parent);
  return parent;
}

function newAgent(ix, path, parent) {
  var cut = path.lastIndexOf('/agent:');
  var name = path;
  var k = '';
  if (cut < 0) {
    if (ix.header && ix.header.agent && typeof ix.header.agent.name === 'string') name = ix.header.agent.name;
  } else {
    var segment = path.slice(cut + 7);
    var hash = segment.lastIndexOf('#');
    name = hash < 0 ? segment : segment.slice(0, hash);
    k = hash < 0 ? '' : segment.slice(hash + 1);
  }
  var agent = {
    id: ix.agents.length,
    path: path,
    name: name,
    k: k,
    parent: parent ? parent.id : -1,
    depth: parent ? parent.depth + 1 : 0,
    model: '',
    task: '',
    status: null,
    stopReason: '',
    error: null,
    usage: null,
    own: { inputTokens: 0, outputTokens: 0, costUsd: 0, steps: 0, toolCalls: 0 },
    compactions: 0,
    total: null,
    rows: [],
    children: [],
  };
  ix.agents.push(agent);
  ix.agentByPath.set(path, agent.id);
  if (parent) parent.children.push(agent.id);
  return agent;
}

function agentLabel(agent) {
  return agent.k === '' ? agent.name : agent.name + '#' + agent.k;
}

function pushSeries(ix, t) {
  var s = ix.series;
  s.x.push(t);
  s.tokens.push(ix.totals.inputTokens + ix.totals.outputTokens);
  s.cost.push(ix.totals.costUsd);
  s.steps.push(ix.totals.steps);
  s.tools.push(ix.totals.toolCalls);
}

` +
  VIEWER_EVENTS +
  String.raw`
/** Adds one event (from line number line) to the index. */
function addEvent(ix, line, e) {
  ix.events++;
  var type = str(e.type);
  var path = str(e.path);
  ix.counts[type] = (ix.counts[type] || 0) + 1;
  var t = typeof e.t === 'number' ? e.t : ix.lastT;
  if (t > ix.lastT) ix.lastT = t;
  var agent = ensureAgent(ix, agentPathOf(path));
  var group = lookup(GROUP, type);
  var row;
  if (group) {
    var open = ix.openCalls.get(path);
    if (open !== undefined && ix.rows[open].kind === group) {
      row = ix.rows[open];
      row.lines.push(line);
      if (t > row.t1) row.t1 = t;
    }
  }
  if (!row) {
    row = {
      id: ix.rows.length,
      kind: group || lookup(KIND, type) || 'other',
      type: type,
      seq: typeof e.seq === 'number' ? e.seq : ix.events - 1,
      t0: t,
      t1: t,
      agent: agent.id,
      path: path,
      step: stepOf(path, agent.path),
      goal: path.indexOf('/goal/') >= 0,
      side: isSideCall(path),
      lines: [line],
      flag: 0,
      title: '',
      text: '',
      meta: '',
    };
    ix.rows.push(row);
    agent.rows.push(row.id);
    if (group) ix.openCalls.set(path, row.id);
  }
  var update = lookup(UPDATE, type);
  if (update) update(ix, row, e, agent, t);
  else {
    row.title = type;
    row.text = preview(e, 200);
  }
  // A call's row is complete once it has its answer: later events on that path get rows of their own.
  if (type === 'model.response' || type === 'model.error' || type === 'tool.result') ix.openCalls.delete(path);
}

/** After the last event: subtree totals for agents that have no agent.end, and problem counts. */
function finishIndex(ix) {
  ix.openCalls.clear();
  for (var i = ix.agents.length - 1; i >= 0; i--) {
    var a = ix.agents[i];
    var total = {
      inputTokens: a.own.inputTokens,
      outputTokens: a.own.outputTokens,
      costUsd: a.own.costUsd,
      steps: a.own.steps,
      toolCalls: a.own.toolCalls,
    };
    for (var c = 0; c < a.children.length; c++) {
      var child = ix.agents[a.children[c]].total;
      total.inputTokens += child.inputTokens;
      total.outputTokens += child.outputTokens;
      total.costUsd += child.costUsd;
      total.steps += child.steps;
      total.toolCalls += child.toolCalls;
    }
    a.total = total;
  }
  var problems = 0;
  for (var r = 0; r < ix.rows.length; r++) if (ix.rows[r].flag > 0) problems++;
  ix.problems = problems;
  return ix;
}

/** Splits the embedded data into lines: line 0 is the header, every other line one event. */
function splitLines(text) {
  var lines = text.split('\n');
  if (lines.length && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** Indexes a whole transcript text at once (the page indexes in slices, to stay responsive). */
function buildIndex(text) {
  var lines = splitLines(text);
  var ix = createIndex(JSON.parse(lines[0]));
  for (var i = 1; i < lines.length; i++) addEvent(ix, i, JSON.parse(lines[i]));
  return finishIndex(ix);
}
`
