/**
 * The viewer's run summary: the header (agent, status, stop reason, task, totals, warnings, the
 * output) and the budget cards (use against the root's limits, with a sparkline over the run).
 *
 * A piece of the page script VIEWER_UI assembles: its functions run inside that one function
 * scope and use its state, index and DOM helpers. Plain ES2020 in a string: no template literals.
 */
export const VIEWER_UI_SUMMARY = String.raw`
  // ---- header ----
  var hdr = document.getElementById('hdr');
  function renderHeader() {
    var end = ix.runEnd || earlyEnd;
    var root = header.agent || {};
    var status = end ? str(end.status) : state.ready ? 'unfinished' : 'reading';
    var usage = end && end.usage ? end.usage : null;
    var totals = usage || ix.totals;
    var parts = [];
    parts.push(h('div', { class: 'h-top' }, [
      h('h1', { testid: 'run-agent', text: str(root.name || 'run') }),
      h('span', { class: 'status ' + statusClass(status), testid: 'run-status', text: status }),
      end ? h('span', { class: 'stop' }, ['stop reason ', h('b', { testid: 'stop-reason', text: str(end.stopReason) })]) : null,
      h('span', { class: 'muted grow', text: [header.runId, header.startedAt, 'Baton ' + str(header.baton), 'schema v' + str(header.version)].filter(Boolean).map(str).join(' \u00b7 ') }),
    ]));
    if (end && end.error) parts.push(errorBlock(end.error, 'run-error'));
    var task = typeof header.task === 'string' ? header.task : pretty(header.task);
    parts.push(h('div', { class: 'task', testid: 'run-task' }, [h('span', { class: 'muted', text: 'task ' }), preview(task, 400)]));
    var stats = [
      ['tokens in / out', fmtInt(num(totals.inputTokens)) + ' / ' + fmtInt(num(totals.outputTokens))],
      ['cost', fmtUsd(num(totals.costUsd))],
      ['model calls', fmtInt(num(totals.steps))],
      ['tool calls', fmtInt(num(totals.toolCalls))],
    ];
    if (usage && typeof usage.wallMs === 'number') stats.push(['wall time', fmtMs(usage.wallMs)]);
    if (usage && usage.cachedInputTokens) stats.push(['cached input', fmtInt(usage.cachedInputTokens)]);
    if (usage && usage.reasoningTokens) stats.push(['reasoning', fmtInt(usage.reasoningTokens)]);
    stats.push(['events', fmtInt(lines.length - 1)]);
    if (state.ready) stats.push(['agents', fmtInt(ix.agents.length)], ['memory writes', fmtInt(ix.memoryWrites)], ['problems', fmtInt(ix.problems)]);
    if (state.ready && ix.compactions) stats.push(['compactions', fmtInt(ix.compactions)]);
    parts.push(h('div', { class: 'stats', testid: 'run-totals' }, stats.map(function (s) {
      return h('span', { class: 'stat' }, [h('b', { text: s[1] }), h('small', { text: s[0] })]);
    })));
    var notes = [];
    var from = header.from && typeof header.from === 'object' ? header.from : null;
    if (from) notes.push('This run ' + (from.mode === 'replay' ? 'replayed' : from.mode === 'resume' ? 'resumed' : 'forked') + ' run ' + str(from.runId) + (from.digest ? ' (transcript digest ' + str(from.digest).slice(0, 16) + '\u2026)' : '') + '.');
    var source = header.source && typeof header.source === 'object' ? header.source : null;
    if (source) notes.push('Agent module: ' + str(source.module) + (source.export ? '#' + str(source.export) : '') + '.');
    if (notes.length) parts.push(h('div', { class: 'muted', text: notes.join(' ') }));
    if (meta.verification) {
      var v = meta.verification;
      var verdict = !v.chained ? 'not chained' : v.intact ? (v.finished ? 'verified' : 'verified, unfinished') : 'tampered';
      var signedBy = v.signer ? ' \u00b7 signed by key ' + v.signer.keyId + (v.signer.checked ? '' : ' (signatures not checked: baton verify --key)') : ' \u00b7 not signed';
      parts.push(h('div', { class: 'verification ' + (v.intact && v.chained ? 'ok' : 'warning'), testid: 'run-verification' }, [
        h('b', { text: verdict }),
        h('span', { text: (v.chained ? signedBy : '') + ' \u2014 ' + v.message }),
      ]));
    }
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
`
