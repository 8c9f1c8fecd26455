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
<link rel="stylesheet" href="/assets/forms.css">
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

  <section class="card" aria-labelledby="policy-heading" id="policy">
    <div class="card-head">
      <h2 id="policy-heading">Safety policy</h2>
      <p class="lede">What MCP clients may do. Every change is checked, saved to <code>settings.json</code> and applies to the next call at once; connected clients are told when their list of tools changes.</p>
    </div>
    <fieldset class="tool-list">
      <legend>Safety classes</legend>
      <div class="tool-grid">
        <div class="tool-choice"><input type="checkbox" id="policy-class-read" data-class="read"><label for="policy-class-read"><code>read</code><span class="sub">List, get, describe, logs, events, Helm reads</span></label></div>
        <div class="tool-choice"><input type="checkbox" id="policy-class-safe-mutation" data-class="safe-mutation"><label for="policy-class-safe-mutation"><code>safe-mutation</code><span class="sub">Apply, scale, restart, Helm install, upgrade, rollback</span></label></div>
      </div>
      <p class="hint">The destructive class has its own switch above, with what it allows.</p>
    </fieldset>
    <fieldset class="tool-list" id="readonly-set">
      <legend>Read-only contexts</legend>
      <p class="hint" id="readonly-hint">A read-only context refuses every write, and so does any context that reaches the same API server.</p>
      <div id="readonly-list" class="tool-grid" aria-describedby="readonly-hint"></div>
    </fieldset>
    <div class="fields wide">
      <div class="field">
        <label for="policy-protected">Protected namespaces</label>
        <input id="policy-protected" type="text" data-field="policy.protectedNamespaces" autocomplete="off" spellcheck="false" aria-describedby="policy-protected-hint">
        <p class="hint" id="policy-protected-hint">Separated by commas. The first write into one of them asks you first.</p>
      </div>
      <div class="field field-port">
        <label for="policy-budget">Answer budget (bytes)</label>
        <input id="policy-budget" type="number" min="1024" step="1024" data-field="policy.maxOutputBytes" inputmode="numeric" aria-describedby="policy-budget-hint">
        <p class="hint" id="policy-budget-hint">The most one answer may hold; longer ones are cut and say how to get the rest.</p>
      </div>
      <div class="field full">
        <label for="policy-charts">Allowed chart sources</label>
        <textarea id="policy-charts" rows="3" data-field="policy.allowedChartSources" spellcheck="false" aria-describedby="policy-charts-hint"></textarea>
        <p class="hint" id="policy-charts-hint">One per line: an https or oci repository URL prefix, or an absolute directory. Empty allows any source, as helm does.</p>
      </div>
    </div>
    <div class="toggle-row">
      <input type="checkbox" id="policy-reveal" class="switch" aria-describedby="policy-reveal-warning">
      <label for="policy-reveal">Show Secret values in answers</label>
    </div>
    <p class="warning" id="policy-reveal-warning">When on, the values of Secrets a tool reads (and every value of a Helm release) reach the model and whatever it writes them to. Off by default.</p>
    <p class="note" id="policy-note" role="status" aria-live="polite"></p>
    <p class="problem" id="policy-problem" role="alert" hidden></p>
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
        <thead><tr><th scope="col">Context</th><th scope="col">Cluster</th><th scope="col">Namespace</th><th scope="col">Source</th><th scope="col">SSH tunnel</th><th scope="col">Reachability</th></tr></thead>
        <tbody id="contexts-body"><tr><td colspan="6" class="empty">Loading…</td></tr></tbody>
      </table>
    </div>
    <div id="broken-sources" hidden>
      <h3>Kubeconfig files with errors</h3>
      <ul id="broken-list" class="broken"></ul>
    </div>

    <h3 id="files-heading">Kubeconfig files</h3>
    <ul id="files-list" class="sources" aria-labelledby="files-heading"></ul>
    <form id="file-form" class="inline-form" novalidate>
      <div class="field">
        <label for="file-path">Add a kubeconfig file</label>
        <input id="file-path" name="path" type="text" data-field="path" autocomplete="off" spellcheck="false" placeholder="/home/you/.kube/team.yaml" aria-describedby="file-hint">
      </div>
      <div class="actions">
        <button type="button" id="file-check" class="button subtle">Check</button>
        <button type="submit" id="file-add" class="button primary">Add file</button>
      </div>
    </form>
    <p class="hint" id="file-hint">An absolute path. Check reads it and shows its contexts; Add saves it.</p>
    <div id="file-preview" class="preview" role="status" aria-live="polite"></div>
    <p class="problem" id="file-problem" role="alert" hidden></p>

    <h3 id="inline-heading">Inline kubeconfigs</h3>
    <ul id="inline-list" class="sources" aria-labelledby="inline-heading"></ul>
    <form id="inline-form" class="stack-form" novalidate>
      <div class="field">
        <label for="inline-name">Name</label>
        <input id="inline-name" name="name" type="text" data-field="name" autocomplete="off" spellcheck="false" placeholder="team-prod">
      </div>
      <div class="field">
        <label for="inline-content">Kubeconfig YAML</label>
        <textarea id="inline-content" name="content" rows="6" data-field="content" spellcheck="false" aria-describedby="inline-hint"></textarea>
      </div>
      <p class="hint" id="inline-hint">Stored in settings.json (mode 0600). Once saved only its contexts and servers are shown here, never its credentials.</p>
      <div class="actions"><button type="submit" id="inline-save" class="button primary">Save inline kubeconfig</button></div>
    </form>
    <p class="note" id="inline-note" role="status" aria-live="polite"></p>
    <p class="problem" id="inline-problem" role="alert" hidden></p>
  </section>

  <section class="card" aria-labelledby="bastion-heading" id="bastions">
    <div class="card-head">
      <h2 id="bastion-heading">SSH bastions</h2>
      <p class="lede">Reach a context's API server through <code>user@host:port</code>. TLS stays end to end; the bastion's host key is checked against the known_hosts file you name.</p>
    </div>
    <form id="bastion-form" class="grid-form" novalidate>
      <div class="field"><label for="bastion-context">Context</label><select id="bastion-context" data-field="context"></select></div>
      <div class="field"><label for="bastion-host">Bastion host</label><input id="bastion-host" type="text" data-field="host" autocomplete="off" spellcheck="false"></div>
      <div class="field field-port"><label for="bastion-port">SSH port</label><input id="bastion-port" type="number" min="1" max="65535" data-field="port" inputmode="numeric" placeholder="22"></div>
      <div class="field"><label for="bastion-user">User</label><input id="bastion-user" type="text" data-field="user" autocomplete="off" spellcheck="false"></div>
      <div class="field"><label for="bastion-key">Key file</label><input id="bastion-key" type="text" data-field="identityFile" autocomplete="off" spellcheck="false" aria-describedby="bastion-key-hint"></div>
      <div class="field"><label for="bastion-known-hosts">known_hosts file</label><input id="bastion-known-hosts" type="text" data-field="knownHostsFile" autocomplete="off" spellcheck="false" placeholder="~/.ssh/known_hosts"></div>
      <div class="field"><label for="bastion-remote">API server as the bastion sees it</label><input id="bastion-remote" type="text" data-field="remoteServer" autocomplete="off" spellcheck="false" placeholder="optional: its address there"></div>
    </form>
    <p class="hint" id="bastion-key-hint">Leave the key file empty to use the SSH agent (SSH_AUTH_SOCK).</p>
    <div class="actions">
      <button type="button" id="bastion-test" class="button subtle">Test connection</button>
      <button type="button" id="bastion-save" class="button primary">Save bastion</button>
      <button type="button" id="bastion-remove" class="button danger-outline">Remove bastion</button>
    </div>
    <div id="bastion-result" class="preview" role="status" aria-live="polite"></div>
    <div id="bastion-trust" class="trust" hidden>
      <p id="bastion-trust-text"></p>
      <button type="button" id="bastion-trust-button" class="button primary">Trust this key</button>
    </div>
    <div id="bastion-danger" class="danger-box" role="alert" hidden></div>
    <p class="note" id="bastion-note" role="status" aria-live="polite"></p>
    <p class="problem" id="bastion-problem" role="alert" hidden></p>
  </section>

  <section class="card" aria-labelledby="forwards-heading" id="forwards">
    <div class="card-head with-action">
      <div>
        <h2 id="forwards-heading">Port forwards</h2>
        <p class="lede">Local ports MCP clients opened into pods (<code>port_forward_start</code>). Each ends with Stop, <code>port_forward_stop</code>, its idle timeout, or when kubezilla-mcp stops.</p>
      </div>
      <button type="button" id="refresh-forwards" class="button subtle">Refresh</button>
    </div>
    <p class="problem" id="forwards-error" role="alert" hidden></p>
    <div class="table-wrap">
      <table id="forwards-table">
        <caption class="visually-hidden">Open port forwards</caption>
        <thead><tr><th scope="col">Forward</th><th scope="col">Target</th><th scope="col">Local → pod port</th><th scope="col">Traffic</th><th scope="col">Events</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
        <tbody id="forwards-body"><tr><td colspan="6" class="empty">Loading…</td></tr></tbody>
      </table>
    </div>
    <p class="hint" id="forwards-ended" hidden></p>
    <p class="note" id="forwards-note" role="status" aria-live="polite"></p>
  </section>

  <section class="card" aria-labelledby="sessions-heading" id="sessions">
    <div class="card-head">
      <h2 id="sessions-heading">Connected MCP clients</h2>
      <p class="lede">The open MCP sessions and the name each client gave when it connected.</p>
    </div>
    <div class="table-wrap">
      <table id="sessions-table">
        <caption class="visually-hidden">Connected MCP sessions</caption>
        <thead><tr><th scope="col">Client</th><th scope="col">Session</th><th scope="col">Connected</th><th scope="col">Last request</th></tr></thead>
        <tbody id="sessions-body"><tr><td colspan="4" class="empty">Loading…</td></tr></tbody>
      </table>
    </div>
  </section>

  <section class="card" aria-labelledby="audit-heading" id="audit">
    <div class="card-head with-action">
      <div>
        <h2 id="audit-heading">Recent mutations</h2>
        <p class="lede">Every change made through MCP (apply, scale, restart, Helm, deletes and node maintenance), newest first, from <code id="audit-file">audit.log</code>.</p>
      </div>
      <button type="button" id="refresh-audit" class="button subtle">Refresh</button>
    </div>
    <form id="audit-filters" class="grid-form" role="search" aria-label="Filter the audit log" novalidate>
      <div class="field"><label for="audit-tool">Tool</label><select id="audit-tool"><option value="">Any tool</option></select></div>
      <div class="field"><label for="audit-context">Context</label><select id="audit-context"><option value="">Any context</option></select></div>
      <div class="field"><label for="audit-outcome">Outcome</label><select id="audit-outcome"><option value="">Any outcome</option></select></div>
      <div class="field"><label for="audit-text">Text</label><input id="audit-text" type="search" autocomplete="off" spellcheck="false"></div>
    </form>
    <div class="actions">
      <button type="button" id="audit-export" class="button subtle">Export JSON lines</button>
      <span id="audit-count" class="hint" role="status" aria-live="polite"></span>
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
