/**
 * The viewer's agent tree: one node per agent with its status and totals; a node's sub-agents and
 * steps are rendered only when it is expanded, a page at a time. A label filters the timeline to
 * that agent; `revealAgent` expands the path down to an agent and scrolls to it.
 *
 * A piece of the page script VIEWER_UI assembles: its functions run inside that one function
 * scope and use its state, index and DOM helpers. Plain ES2020 in a string: no template literals.
 */
export const VIEWER_UI_TREE = String.raw`
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
    var node = h('div', { class: 'node', testid: 'agent-node', 'data-agent-id': id, 'data-path': a.path, 'data-agent': a.name, 'data-expanded': str(open) });
    var label = h('button', { class: 'alabel', testid: 'agent-label', title: 'Show only this agent (and its sub-agents) in the timeline: ' + a.path, text: agentLabel(a) });
    label.style.color = agentColor(a);
    label.addEventListener('click', function () { setAgentFilter(state.agentFilter === id ? -1 : id); });
    var toggle = h('button', { class: 'tog', testid: 'agent-toggle', 'aria-expanded': str(open), title: open ? 'collapse' : 'expand: steps and sub-agents', text: open ? '\u25be' : '\u25b8' });
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
      h('span', { class: 'nstats', testid: 'agent-stats', text: plural(num(u.steps), 'step') + ' \u00b7 ' + fmtInt(num(u.inputTokens) + num(u.outputTokens)) + ' tok \u00b7 ' + fmtUsd(num(u.costUsd)) }),
    ]));
    if (open) node.appendChild(nodeBody(a));
    return node;
  }
  function nodeBody(a) {
    var body = h('div', { class: 'nbody' });
    body.appendChild(h('div', { class: 'ninfo muted', testid: 'agent-info', text: [a.model, a.stopReason ? 'stop reason ' + a.stopReason : '', a.compactions ? 'history compacted ' + (a.compactions === 1 ? 'once' : fmtInt(a.compactions) + ' times') : '', a.task ? 'task: ' + preview(a.task, 160) : ''].filter(Boolean).join(' \u00b7 ') }));
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
`
