/** The viewer's stylesheet: system fonts only, nothing fetched. */
export const VIEWER_CSS = `
*{box-sizing:border-box}
html,body{margin:0;padding:0}
body{font:13px/1.4 system-ui,-apple-system,"Segoe UI",sans-serif;color:#1d1d1f;background:#f6f6f7}
code,pre,.c-seq,.c-t,.c-meta{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
code{font-size:12px}
button{font:inherit;cursor:pointer}
.muted{color:#6b6b70}.small{font-size:11px}.grow{flex:1;text-align:right}
#app{display:flex;flex-direction:column;min-height:100vh}
.hdr{background:#fff;border-bottom:1px solid #ddd;padding:10px 16px}
.h-top{display:flex;align-items:center;gap:10px;flex-wrap:wrap}
.hdr h1{font-size:18px;margin:0}
.status{display:inline-block;padding:1px 8px;border-radius:10px;font-weight:600;font-size:12px;background:#e8e8ea;color:#333}
.s-done{background:#dff3e4;color:#116329}.s-bad{background:#fde2e0;color:#a4161a}.s-warn{background:#fff1cc;color:#7a5300}.s-open{background:#e8e8ea;color:#444}
.stop b{font-family:ui-monospace,Menlo,monospace}
.task{margin:6px 0;white-space:pre-wrap;word-break:break-word}
.stats{display:flex;flex-wrap:wrap;gap:6px 18px;margin-top:4px}
.stat b{display:block;font-size:15px;font-variant-numeric:tabular-nums}.stat small{color:#6b6b70}
.warning{background:#fff6d6;border:1px solid #f0d77a;color:#5c4300;padding:4px 8px;border-radius:6px;margin:6px 0}
.verification{display:flex;gap:8px;align-items:baseline;flex-wrap:wrap}.verification.ok{background:#e9f7ee;border:1px solid #9fd3b0;color:#1e5631;padding:4px 8px;border-radius:6px;margin:6px 0}
.loading{margin-top:6px;color:#3d5afe}
.errbox{background:#fdecea;border:1px solid #f5b7b1;color:#7d1412;padding:6px 8px;border-radius:6px;margin:6px 0;white-space:pre-wrap;word-break:break-word}
.errbox ul{margin:4px 0;padding-left:18px}
details.output{margin-top:6px}details summary{cursor:pointer;color:#444}
.budget{display:flex;flex-wrap:nowrap;overflow-x:auto;align-items:stretch;gap:8px;padding:8px 16px;background:#fbfbfc;border-bottom:1px solid #e3e3e6}
.budget h2{font-size:13px;margin:0}
.bhead{align-self:center;width:110px;flex:none;font-size:11px}
.bcard{background:#fff;border:1px solid #e0e0e4;border-radius:8px;padding:6px 8px;min-width:140px;flex:none}
.btitle{font-size:12px}.bnums{font-variant-numeric:tabular-nums;font-weight:600;font-size:12px;white-space:nowrap}.bnums.over{color:#a4161a}
.meter{height:6px;background:#eee;border-radius:3px;margin:4px 0 2px;overflow:hidden}
.meter .fill{height:100%;background:#34a853}.meter .fill.over{background:#d93025}
.spark{display:block;width:150px;height:40px;margin-top:4px;background:#fafafa;border-radius:4px}
.spark .used-line{fill:rgba(61,90,254,.12);stroke:#3d5afe;stroke-width:1.5;vector-effect:non-scaling-stroke}
.spark .limit-line{stroke:#d93025;stroke-width:1;stroke-dasharray:4 3;vector-effect:non-scaling-stroke}
.main{display:grid;grid-template-columns:minmax(260px,30%) 1fr;gap:0;flex:1;min-height:560px;height:calc(100vh - 40px)}
.tree-pane{border-right:1px solid #ddd;overflow:auto;padding:8px 10px;background:#fff}
.tree-pane h2,.tl-pane h2{font-size:13px;margin:0 0 6px}
.node{margin:1px 0}
.nline{display:flex;align-items:center;gap:6px;padding:2px 2px;border-radius:5px;white-space:nowrap}
.nline.filtered{background:#e8edff}
.node.flash>.nline{background:#fff3b0}
.tog{border:0;background:none;width:18px;padding:0;color:#555}
.alabel{border:0;background:none;padding:0;font-weight:600}
.alabel:hover{text-decoration:underline}
.nstats{color:#6b6b70;font-size:12px;overflow:hidden;text-overflow:ellipsis}
.nbody{margin-left:9px;padding-left:10px;border-left:1px dashed #ccc}
.ninfo{font-size:12px;margin:2px 0 4px;white-space:normal;word-break:break-word}
.steps{margin:4px 0}
.step{display:flex;gap:6px;align-items:baseline;padding:2px 4px;border-radius:4px;cursor:pointer;font-size:12px}
.step:hover{background:#f0f2ff}
.snum{color:#888;min-width:22px;font-family:ui-monospace,Menlo,monospace}
.stext{overflow-wrap:anywhere;display:-webkit-box;-webkit-line-clamp:3;-webkit-box-orient:vertical;overflow:hidden}
.step.is-error .stext{color:#a4161a}.step.is-warn .stext{color:#7a5300}
.tl-pane{display:flex;flex-direction:column;min-width:0;min-height:0;overflow:hidden}
.tl-bar{display:flex;gap:8px;align-items:center;padding:6px 10px;border-bottom:1px solid #e3e3e6;background:#fff;flex-wrap:wrap}
.tl-bar input{min-width:220px;padding:2px 6px}
.chip{background:#e8edff;border-radius:10px;padding:1px 4px 1px 8px}.chip .x{border:0;background:none}
.tl-head,.row{display:grid;grid-template-columns:52px 64px 84px 150px 86px minmax(0,1fr) auto;gap:8px;align-items:center;padding:0 10px}
.tl-head{font-size:11px;color:#6b6b70;background:#f0f0f2;border-bottom:1px solid #e3e3e6;height:22px}
.tl-scroll{flex:none;height:42vh;min-height:180px;overflow:auto;position:relative;background:#fff;outline:none;border-bottom:2px solid #e3e3e6}
.tl-spacer{position:relative;min-height:100%}
.tl-win{position:absolute;left:0;right:0;top:0;will-change:transform}
.row{height:24px;white-space:nowrap;border-bottom:1px solid #f1f1f3;cursor:pointer}
.row>span{overflow:hidden;text-overflow:ellipsis}
.row:hover{background:#f5f7ff}.row.sel{background:#dfe6ff}
.row.is-error .c-text{color:#a4161a}.row.is-warn .c-text{color:#7a5300}
.c-seq,.c-t{color:#888;text-align:right;font-size:12px}
.c-when{position:relative;height:8px;background:#f1f1f3;border-radius:4px}
.c-when .mark{position:absolute;top:0;bottom:0;background:#8ea2ff;border-radius:4px}
.c-agent{font-weight:600;font-size:12px}.c-meta{color:#6b6b70;font-size:12px;max-width:200px}
.badge{display:inline-block;padding:0 6px;border-radius:8px;font-size:11px;background:#eee;color:#333;white-space:nowrap}
.badge.k-model{background:#e6ecff;color:#1a3ab8}.badge.k-tool{background:#e3f5ec;color:#0b6b3a}
.badge.k-memory{background:#f3e8ff;color:#6a1b9a}.badge.k-context{background:#e0f2f1;color:#00695c}.badge.k-agent,.badge.k-run{background:#ececec;color:#333}
.badge.k-goal{background:#fff1cc;color:#7a5300}.badge.k-budget,.badge.k-stall{background:#fde2e0;color:#a4161a}
.detail{flex:1;overflow:auto;padding:10px 14px;background:#fff;min-height:0}
.dhead{margin-bottom:8px;word-break:break-all}
.link{border:0;background:none;color:#1a3ab8;padding:0;text-decoration:underline}
.sec{margin:10px 0}.sec h3{font-size:13px;margin:0 0 4px}
.sec.bad h3{color:#a4161a}.sec.warn h3{color:#7a5300}
.kv{border-collapse:collapse;margin:4px 0}.kv th{text-align:left;color:#6b6b70;font-weight:500;padding:1px 10px 1px 0;vertical-align:top;white-space:nowrap}
.kv td{padding:1px 0;word-break:break-word}
.pre{margin:4px 0;padding:6px 8px;background:#f7f7f9;border:1px solid #ececf0;border-radius:6px;white-space:pre-wrap;word-break:break-word;max-height:480px;overflow:auto;font-size:12px}
.msg{border:1px solid #e6e6ea;border-left:4px solid #bbb;border-radius:6px;padding:4px 8px;margin:6px 0}
.msg.r-system{border-left-color:#9e9e9e}.msg.r-user{border-left-color:#3d5afe}.msg.r-assistant{border-left-color:#0b8043}.msg.r-tool{border-left-color:#e37400}
.msg.is-error,.sec.bad .pre{border-color:#f5b7b1;background:#fff7f6}
.mhead{font-size:12px}.role{font-weight:700;text-transform:uppercase;font-size:11px;letter-spacing:.03em}
.errtag{background:#fde2e0;color:#a4161a;border-radius:6px;padding:0 5px;font-size:11px}
.tcall{margin:4px 0 4px 8px}.plan-tasks tr.critical td{font-weight:600}.plan-tasks td{padding-right:12px}
.reasoning{background:#fafaf0;border:1px dashed #d8d2a8;border-radius:6px;padding:4px 8px;margin:4px 0}
.more{margin:4px 0;border:1px solid #ccd;background:#f6f7ff;border-radius:6px;padding:1px 8px;font-size:12px}
.raw{margin-top:12px}
.empty{padding:16px;color:#6b6b70}
`
