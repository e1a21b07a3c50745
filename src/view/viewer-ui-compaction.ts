/**
 * The viewer's detail of a compaction: why, the sizes, the stubbed results (each a link to the
 * memory write that keeps it), the summary call, and the whole history after it; and the links
 * between rows the detail pane uses.
 *
 * A piece of the page script VIEWER_UI assembles, after VIEWER_UI_DETAIL (it adds to its DETAIL):
 * its functions run inside that one function scope and use its state, index and DOM helpers.
 * Plain ES2020 in a string: no template literals.
 */
export const VIEWER_UI_COMPACTION = String.raw`
  // ---- detail of a compaction ----
  DETAIL.context = function (row, events, agent) {
    var e = find(events, 'context.compact') || {};
    var box = h('div', { testid: 'compaction' });
    var stubbed = Array.isArray(e.stubbed) ? e.stubbed : [];
    var summary = rowAt(agent, 'model', row.path + '/model');
    box.appendChild(kv([
      ['reason', e.reason === 'overflow' ? 'overflow: the provider refused the request as too long' : 'threshold: the request would have passed the limit'],
      ['tokens', fmtInt(e.tokensBefore) + ' \u2192 ' + fmtInt(e.tokensAfter) + ' (estimated)'],
      ['limit', fmtInt(e.limit) + ' tokens'],
      typeof e.window === 'number' ? ['window', fmtInt(e.window) + ' tokens'] : null,
      e.custom ? ['policy', 'the agent\u2019s own'] : null,
      ['stubbed', stubbed.length ? plural(stubbed.length, 'tool result') + ' (kept whole in memory)' : 'none'],
      ['summarised', typeof e.summarized === 'number' && e.summarized > 0 ? plural(e.summarized, 'message') : 'none'],
      summary ? ['summary call', h('span', null, [rowButton(summary, 'open it', 'open-summary-call'), ' ', h('span', { class: 'muted', text: summary.meta })])] : null,
      ['hash', str(e.hash)],
    ], 'compaction-fields'));
    if (stubbed.length) {
      var keys = section('Stubbed results', 'compaction-stubbed');
      stubbed.forEach(function (key) {
        var write = null;
        agent.rows.forEach(function (id) { var r = ix.rows[id]; if (r.kind === 'memory' && r.path === row.path && r.key === key) write = r; });
        keys.appendChild(h('div', null, write ? rowButton(write, str(key), 'stubbed-key') : h('code', { testid: 'stubbed-key', text: str(key) })));
      });
      box.appendChild(keys);
    }
    if (e.summaryError) {
      var failed = section('The summary failed', 'compaction-summary-error', 'warn');
      failed.appendChild(errorBlock(e.summaryError));
      box.appendChild(failed);
    }
    var messages = Array.isArray(e.messages) ? e.messages : [];
    var history = section('The history after compaction (' + plural(messages.length, 'message') + ')', 'compaction-messages');
    messages.forEach(function (m) { history.appendChild(messageEl(m)); });
    box.appendChild(history);
    return box;
  };
  /** The agent's row of a kind at a step key, or null. */
  function rowAt(agent, kind, path) {
    for (var i = 0; i < agent.rows.length; i++) {
      var r = ix.rows[agent.rows[i]];
      if (r.kind === kind && r.path === path) return r;
    }
    return null;
  }
  function rowButton(target, text, testid) {
    var button = h('button', { class: 'link', testid: testid, text: text, title: target.path });
    button.addEventListener('click', function () { selectRow(target.id, true); });
    return button;
  }
`
