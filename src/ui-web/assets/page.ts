/**
 * The settings page's HTML. Static apart from the CSRF token in a <meta> tag; everything else is
 * filled in by /assets/app.js from the JSON API. The MCP token is never part of this document.
 */
function attr(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function renderPage({ csrfToken }: { csrfToken: string }): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="csrf-token" content="${attr(csrfToken)}">
<meta name="color-scheme" content="light dark">
<title>Settings · Kubezilla MCP</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/assets/app.css">
<script type="module" src="/assets/app.js"></script>
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="top">
  <div class="brand"><span class="logo" aria-hidden="true">kz</span><span>Kubezilla MCP</span><span class="crumb">Settings</span></div>
  <p id="connection" class="connection" role="status" aria-live="polite"></p>
</header>
<main id="main" tabindex="-1">
  <section class="card" aria-labelledby="mcp-heading" id="mcp">
    <div class="card-head">
      <h2 id="mcp-heading">MCP Server</h2>
      <p class="lede">Lets Claude Code and other MCP clients run Kubernetes operations over Streamable HTTP, with a bearer token.</p>
    </div>
    <div class="toggle-row">
      <input type="checkbox" id="mcp-enabled" class="switch" aria-describedby="mcp-status">
      <label for="mcp-enabled">Enable MCP server</label>
    </div>
    <p class="status" id="mcp-status" data-state="loading" role="status" aria-live="polite">
      <span class="status-label">Status:</span> <span class="dot" aria-hidden="true">●</span> <span id="mcp-status-text">loading…</span>
    </p>
    <div class="fields">
      <div class="field">
        <label for="mcp-bind">Bind address</label>
        <input id="mcp-bind" name="bind" type="text" autocomplete="off" spellcheck="false" aria-describedby="address-hint">
      </div>
      <div class="field field-port">
        <label for="mcp-port">Port</label>
        <input id="mcp-port" name="port" type="number" min="0" max="65535" step="1" inputmode="numeric" aria-describedby="address-hint">
      </div>
    </div>
    <p class="hint" id="address-hint">Bind address and port are locked while the server runs. To change them, untick Enable, edit, and re-tick.</p>
    <p class="warning" id="mcp-exposed" hidden>Listening beyond loopback: anyone on the network who holds the token can drive every cluster in your kubeconfigs.</p>
    <p class="problem" id="mcp-problem" role="alert" hidden></p>
    <dl class="facts">
      <div><dt>Connected sessions</dt><dd id="mcp-sessions">–</dd></div>
      <div><dt>Token fingerprint</dt><dd><code id="token-fingerprint">–</code></dd></div>
      <div><dt>Token file</dt><dd><code id="token-file">–</code></dd></div>
    </dl>
    <div class="actions">
      <button type="button" id="copy-command" class="button primary">Copy <code>claude mcp add</code> command</button>
      <button type="button" id="regenerate" class="button danger-outline">Regenerate token…</button>
    </div>
    <p class="note" id="action-note" role="status" aria-live="polite"></p>
    <div id="manual-copy" class="manual-copy" hidden>
      <label for="manual-copy-text">The clipboard is not available here; copy the command yourself (it contains the token):</label>
      <textarea id="manual-copy-text" readonly rows="3"></textarea>
    </div>
  </section>

  <section class="card" aria-labelledby="destructive-heading" id="destructive">
    <div class="card-head">
      <h2 id="destructive-heading">Destructive tools</h2>
      <p class="lede">Off by default: MCP clients neither see nor can call them until you turn them on here.</p>
    </div>
    <div class="toggle-row">
      <input type="checkbox" id="destructive-enabled" class="switch" aria-describedby="destructive-warning">
      <label for="destructive-enabled">Enable destructive tools</label>
    </div>
    <p class="warning" id="destructive-warning">When on, an MCP client can ask to delete any object its context may delete (a whole namespace with everything in it, a CRD with all its resources), uninstall Helm releases, and drain, cordon and taint nodes, in every context that is not read-only, and open port forwards from this machine into pods. Each call asks you first, naming what goes; read-only contexts and protected namespaces still apply.</p>
    <fieldset id="destructive-tools" class="tool-list">
      <legend>Allowed tools</legend>
      <div id="destructive-tool-list" class="tool-grid"></div>
    </fieldset>
    <p class="hint" id="destructive-run" hidden>On for this run whatever this box says: kubezilla-mcp was started with <code>--enable-destructive</code> (not saved).</p>
    <p class="hint">Connected clients are told of a change and list the tools again; one that does not listen sees it when it reconnects.</p>
    <p class="note" id="destructive-note" role="status" aria-live="polite"></p>
    <p class="problem" id="destructive-problem" role="alert" hidden></p>
  </section>

  <section class="card" aria-labelledby="clusters-heading" id="clusters">
    <div class="card-head with-action">
      <div>
        <h2 id="clusters-heading">Clusters</h2>
        <p class="lede">Contexts from KUBECONFIG (or ~/.kube/config), <code>--kubeconfig</code> files and the settings.</p>
      </div>
      <button type="button" id="refresh-clusters" class="button subtle">Refresh</button>
    </div>
    <p class="problem" id="clusters-error" role="alert" hidden></p>
    <div class="table-wrap">
      <table id="contexts-table">
        <caption class="visually-hidden">Kubernetes contexts</caption>
        <thead><tr><th scope="col">Context</th><th scope="col">Cluster</th><th scope="col">Namespace</th><th scope="col">Source</th><th scope="col">SSH tunnel</th></tr></thead>
        <tbody id="contexts-body"><tr><td colspan="5" class="empty">Loading…</td></tr></tbody>
      </table>
    </div>
    <div id="broken-sources" hidden>
      <h3>Kubeconfig files with errors</h3>
      <ul id="broken-list" class="broken"></ul>
    </div>
  </section>

  <section class="card" aria-labelledby="forwards-heading" id="forwards">
    <div class="card-head with-action">
      <div>
        <h2 id="forwards-heading">Port forwards</h2>
        <p class="lede">Local ports MCP clients opened into pods (<code>port_forward_start</code>). Each ends with <code>port_forward_stop</code>, its idle timeout, or when kubezilla-mcp stops.</p>
      </div>
      <button type="button" id="refresh-forwards" class="button subtle">Refresh</button>
    </div>
    <p class="problem" id="forwards-error" role="alert" hidden></p>
    <div class="table-wrap">
      <table id="forwards-table">
        <caption class="visually-hidden">Open port forwards</caption>
        <thead><tr><th scope="col">Forward</th><th scope="col">Target</th><th scope="col">Local → pod port</th><th scope="col">Traffic</th><th scope="col">Events</th></tr></thead>
        <tbody id="forwards-body"><tr><td colspan="5" class="empty">Loading…</td></tr></tbody>
      </table>
    </div>
    <p class="hint" id="forwards-ended" hidden></p>
  </section>

  <section class="card" aria-labelledby="audit-heading" id="audit">
    <div class="card-head with-action">
      <div>
        <h2 id="audit-heading">Recent mutations</h2>
        <p class="lede">Every change made through MCP (apply, scale, restart, Helm, deletes and node maintenance), newest first, from <code id="audit-file">audit.log</code>.</p>
      </div>
      <button type="button" id="refresh-audit" class="button subtle">Refresh</button>
    </div>
    <p class="problem" id="audit-error" role="alert" hidden></p>
    <div class="table-wrap">
      <table id="audit-table">
        <caption class="visually-hidden">Recent mutations</caption>
        <thead><tr><th scope="col">Time</th><th scope="col">Tool</th><th scope="col">Target</th><th scope="col">Context / namespace</th><th scope="col">Outcome</th><th scope="col">Summary</th></tr></thead>
        <tbody id="audit-body"><tr><td colspan="6" class="empty">Loading…</td></tr></tbody>
      </table>
    </div>
  </section>
</main>

<dialog id="confirm-regenerate" aria-labelledby="confirm-heading" aria-describedby="confirm-text">
  <h2 id="confirm-heading">Regenerate the token?</h2>
  <p id="confirm-text">A new token replaces the current one at once. Every MCP client using the old token is disconnected and refused on its next request, and has to be registered again with the new command.</p>
  <div class="actions end">
    <button type="button" id="confirm-cancel" class="button subtle">Cancel</button>
    <button type="button" id="confirm-ok" class="button danger">Regenerate</button>
  </div>
</dialog>
</body>
</html>
`;
}
