/**
 * The viewer's timeline: a virtualized list (only the rows in view exist in the DOM, scaled past
 * what an element can be tall), its filters (kind, search, agent) and the row selection.
 *
 * A piece of the page script VIEWER_UI assembles: its functions run inside that one function
 * scope and use its state, index and DOM helpers. Plain ES2020 in a string: no template literals.
 */
export const VIEWER_UI_TIMELINE = String.raw`
  // ---- timeline: a virtualized list ----
  var scroller = document.getElementById('tl-scroll');
  var spacer = document.getElementById('tl-spacer');
  var win = document.getElementById('tl-win');
  var bar = document.getElementById('tl-bar');
  var countEl = h('span', { class: 'muted', testid: 'row-count' });
  var kindSelect = h('select', { testid: 'filter-kind', title: 'Show rows of one kind', disabled: true }, [
    ['all', 'all rows'], ['model', 'model calls'], ['tool', 'tool calls'], ['memory', 'memory writes'],
    ['context', 'compactions'], ['agent', 'agents'], ['problems', 'errors and warnings'],
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
      agentChip.replaceChildren(shown('agent: ' + agentLabel(ix.agents[id]) + ' '), clear);
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
      h('span', { class: 'c-seq', text: str(row.seq) }),
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
`
