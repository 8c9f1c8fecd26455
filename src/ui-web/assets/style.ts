/** The settings page's stylesheet (served as /assets/app.css). Light and dark, WCAG AA contrast. */
export const PAGE_STYLE = String.raw`
:root {
  --bg: #f4f6f8; --card: #ffffff; --border: #d8dee4; --text: #1b1f24; --muted: #57606a;
  --accent: #0a58ca; --accent-text: #ffffff; --accent-soft: #e7f0fd;
  --ok: #16692e; --ok-soft: #e6f4ea; --bad: #b42318; --bad-soft: #fdecea; --warn: #8a5a00; --warn-soft: #fff4d6;
  --idle: #6e7781; --code-bg: #f0f2f4; --focus: #0a58ca; --shadow: 0 1px 2px rgba(27,31,36,.06), 0 1px 8px rgba(27,31,36,.04);
  color-scheme: light;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #0e1116; --card: #161b22; --border: #30363d; --text: #e6edf3; --muted: #9da7b3;
    --accent: #4c9aff; --accent-text: #0e1116; --accent-soft: #13233b;
    --ok: #3fb950; --ok-soft: #12261a; --bad: #ff7b72; --bad-soft: #2d1416; --warn: #e3b341; --warn-soft: #2b2111;
    --idle: #8b949e; --code-bg: #1f252d; --focus: #79b8ff; --shadow: none;
    color-scheme: dark;
  }
}
* { box-sizing: border-box; }
[hidden] { display: none !important; }
html { font-size: 15px; }
body {
  margin: 0; background: var(--bg); color: var(--text);
  font: 1rem/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", "DejaVu Sans", sans-serif;
}
code, textarea { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "DejaVu Sans Mono", monospace; font-size: .9em; }
code { background: var(--code-bg); padding: .1em .35em; border-radius: 4px; overflow-wrap: anywhere; }
:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; border-radius: 4px; }
.skip { position: absolute; left: -999px; top: .5rem; background: var(--card); color: var(--accent); padding: .5rem 1rem; z-index: 10; }
.skip:focus { left: .5rem; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }

.top {
  display: flex; align-items: center; justify-content: space-between; gap: 1rem; flex-wrap: wrap;
  padding: .85rem clamp(1rem, 4vw, 2.5rem); background: var(--card); border-bottom: 1px solid var(--border);
}
.brand { display: flex; align-items: center; gap: .6rem; font-weight: 650; font-size: 1.1rem; }
.logo {
  display: inline-grid; place-items: center; width: 2rem; height: 2rem; border-radius: 8px;
  background: var(--accent); color: var(--accent-text); font-weight: 800; font-size: .9rem; letter-spacing: -.02em;
}
.crumb { color: var(--muted); font-weight: 500; }
.crumb::before { content: "/"; margin-right: .6rem; color: var(--border); }
.connection { margin: 0; font-size: .9rem; color: var(--bad); }

main { max-width: 980px; margin: 1.5rem auto 3rem; padding: 0 clamp(1rem, 4vw, 2rem); display: grid; gap: 1.25rem; }
main:focus { outline: none; }
main > * { min-width: 0; }
.card { background: var(--card); border: 1px solid var(--border); border-radius: 12px; padding: 1.25rem 1.5rem 1.4rem; box-shadow: var(--shadow); }
.card-head { margin-bottom: 1rem; }
.card-head.with-action { display: flex; justify-content: space-between; align-items: flex-start; gap: 1rem; }
h2 { font-size: 1.2rem; margin: 0 0 .2rem; }
h3 { font-size: 1rem; margin: 1.25rem 0 .5rem; }
.lede { margin: 0; color: var(--muted); font-size: .93rem; }

.toggle-row { display: flex; align-items: center; gap: .75rem; margin: .25rem 0 .75rem; }
.toggle-row label { font-weight: 600; cursor: pointer; }
.switch {
  appearance: none; -webkit-appearance: none; margin: 0; flex: none; cursor: pointer;
  width: 2.75rem; height: 1.55rem; border-radius: 999px; background: var(--idle); position: relative;
  transition: background .15s ease; border: 1px solid transparent;
}
.switch::after {
  content: ""; position: absolute; top: 2px; left: 2px; width: calc(1.55rem - 6px); height: calc(1.55rem - 6px);
  border-radius: 50%; background: #fff; transition: transform .15s ease; box-shadow: 0 1px 2px rgba(0,0,0,.3);
}
.switch:checked { background: var(--ok); }
.switch:checked::after { transform: translateX(1.2rem); }
.switch:disabled { opacity: .55; cursor: progress; }
.switch:focus-visible { outline-offset: 3px; border-radius: 999px; }

.status {
  margin: 0 0 1rem; padding: .6rem .85rem; border-radius: 8px; background: var(--code-bg);
  display: flex; align-items: baseline; gap: .4rem;
}
.status-label { color: var(--muted); }
.status .dot { color: var(--idle); }
.status[data-state="running"] { background: var(--ok-soft); }
.status[data-state="running"] .dot { color: var(--ok); }
.status[data-state="error"] { background: var(--bad-soft); }
.status[data-state="error"] .dot, .status[data-state="error"] #mcp-status-text { color: var(--bad); }
#mcp-status-text { font-weight: 600; overflow-wrap: anywhere; flex: 1 1 auto; min-width: 0; }
.status-label, .status .dot { flex: none; }
#mcp-status-text code { font-weight: 500; background: transparent; padding: 0; }

.fields { display: flex; gap: 1rem; flex-wrap: wrap; max-width: 36rem; }
.field { display: grid; gap: .3rem; flex: 1 1 14rem; }
.field-port { flex: 0 1 9rem; }
.field label { font-weight: 600; font-size: .9rem; }
input[type="text"], input[type="number"] {
  font: inherit; color: var(--text); background: var(--card); border: 1px solid var(--muted);
  border-radius: 6px; padding: .45rem .6rem; min-width: 0; width: 100%;
}
input[type="text"]:disabled, input[type="number"]:disabled {
  background: var(--code-bg); color: var(--muted); border-color: var(--border); cursor: not-allowed;
}
input[aria-invalid="true"] { border-color: var(--bad); }
.hint { color: var(--muted); font-size: .88rem; margin: .5rem 0 0; }
.warning { color: var(--warn); background: var(--warn-soft); border-radius: 6px; padding: .5rem .75rem; margin: .75rem 0 0; font-weight: 600; }
.problem { color: var(--bad); background: var(--bad-soft); border-radius: 6px; padding: .5rem .75rem; margin: .75rem 0 0; overflow-wrap: anywhere; }

.facts { display: grid; grid-template-columns: repeat(auto-fit, minmax(12rem, 1fr)); gap: .75rem 1.5rem; margin: 1.25rem 0 0; padding: 1rem 0 0; border-top: 1px solid var(--border); }
.facts div { min-width: 0; }
.facts dt { color: var(--muted); font-size: .85rem; }
.facts dd { margin: .1rem 0 0; font-weight: 600; overflow-wrap: anywhere; }
.facts dd code { font-weight: 500; }
.facts .changed { animation: flash 1.6s ease; }
@keyframes flash { 0%, 40% { background: var(--warn-soft); color: var(--warn); } 100% { background: var(--code-bg); } }

.actions { display: flex; flex-wrap: wrap; gap: .6rem; margin-top: 1.25rem; }
.actions.end { justify-content: flex-end; }
.button {
  font: inherit; font-weight: 600; font-size: .93rem; cursor: pointer; border-radius: 6px; padding: .5rem .95rem;
  border: 1px solid var(--border); background: var(--card); color: var(--text);
}
.button code { background: transparent; padding: 0; font-size: .88em; }
.button:hover { border-color: var(--muted); }
.button:disabled { opacity: .6; cursor: progress; }
.button.primary { background: var(--accent); border-color: var(--accent); color: var(--accent-text); }
.button.primary:hover { filter: brightness(1.08); }
.button.danger { background: var(--bad); border-color: var(--bad); color: #fff; }
.button.danger-outline { color: var(--bad); border-color: var(--bad); }
.button.danger-outline:hover { background: var(--bad-soft); }
.button.subtle { font-weight: 500; }
.note { min-height: 1.5em; margin: .75rem 0 0; font-size: .93rem; }
.note[data-kind="ok"] { color: var(--ok); }
.note[data-kind="bad"] { color: var(--bad); }
.manual-copy { display: grid; gap: .4rem; margin-top: .5rem; }
.manual-copy textarea { width: 100%; padding: .5rem; border-radius: 6px; border: 1px solid var(--muted); background: var(--code-bg); color: var(--text); }

.table-wrap { overflow-x: auto; border: 1px solid var(--border); border-radius: 8px; }
table { width: 100%; border-collapse: collapse; font-size: .92rem; }
th, td { text-align: left; padding: .55rem .75rem; border-bottom: 1px solid var(--border); vertical-align: top; }
th { font-size: .8rem; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); background: var(--code-bg); font-weight: 650; }
tbody tr:last-child td { border-bottom: none; }
td.empty { color: var(--muted); text-align: center; padding: 1.25rem; }
td .sub { display: block; color: var(--muted); font-size: .85rem; overflow-wrap: anywhere; }
td .sub.url, td code.name, td time { white-space: nowrap; overflow-wrap: normal; }
td.ctx-name { white-space: nowrap; }
td.source { overflow-wrap: anywhere; max-width: 18rem; }
td .ctx-problem { display: block; white-space: normal; color: var(--bad); font-size: .85rem; margin-top: .15rem; }
.badge {
  display: inline-block; font-size: .75rem; font-weight: 650; padding: .05rem .5rem; border-radius: 999px;
  background: var(--code-bg); color: var(--muted); border: 1px solid var(--border); white-space: nowrap; vertical-align: .1em;
}
.badge.current { background: var(--accent-soft); color: var(--accent); border-color: transparent; margin-left: .35rem; }
.badge.read-only { background: var(--warn-soft); color: var(--warn); border-color: transparent; margin-left: .35rem; }
.badge.ok, .badge.connected { background: var(--ok-soft); color: var(--ok); border-color: transparent; }
.badge.error, .badge.failed, .badge.refused { background: var(--bad-soft); color: var(--bad); border-color: transparent; }
.badge.connecting, .badge.degraded, .badge.cancelled, .badge.dry-run { background: var(--warn-soft); color: var(--warn); border-color: transparent; }
.broken { margin: 0; padding: 0; list-style: none; display: grid; gap: .5rem; }
.broken li { border-left: 3px solid var(--bad); background: var(--bad-soft); padding: .5rem .75rem; border-radius: 0 6px 6px 0; }
.broken .file { font-weight: 600; overflow-wrap: anywhere; }
.broken .message { display: block; color: var(--bad); font-size: .9rem; overflow-wrap: anywhere; }
time { white-space: nowrap; }

dialog {
  border: 1px solid var(--border); border-radius: 12px; padding: 1.5rem; max-width: 28rem; width: calc(100% - 2rem);
  background: var(--card); color: var(--text); box-shadow: 0 10px 40px rgba(0,0,0,.25);
}
dialog::backdrop { background: rgba(15, 20, 25, .55); }
dialog h2 { margin-bottom: .5rem; }
dialog p { margin: 0; color: var(--muted); }

@media (max-width: 640px) {
  .card-head.with-action { flex-direction: column; }
  th:nth-child(4), td:nth-child(4) { display: none; }
}
@media (prefers-reduced-motion: reduce) { * { transition: none !important; animation: none !important; } }
`;
