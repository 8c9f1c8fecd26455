// The settings page's script (served as /assets/app.js, a module): plain browser JavaScript, no
// framework, no build step. It renders everything with textContent (never innerHTML), sends the
// CSRF token from the page's <meta> tag on every API call (common.js), and asks for the MCP token
// only when Copy is clicked.
import { refreshAudit, refreshSessions, startActivity } from './activity.js';
import { startBastions } from './bastions.js';
import { refreshClusters, startClusters } from './clusters.js';
import { $, api, make, show } from './common.js';
import { refreshForwards, startForwards } from './forwards.js';
import { refreshPolicy, startPolicy } from './policy.js';

(function () {
  var el = {
    connection: $('connection'),
    enabled: $('mcp-enabled'),
    status: $('mcp-status'),
    statusText: $('mcp-status-text'),
    bind: $('mcp-bind'),
    port: $('mcp-port'),
    problem: $('mcp-problem'),
    sessions: $('mcp-sessions'),
    fingerprint: $('token-fingerprint'),
    tokenFile: $('token-file'),
    copy: $('copy-command'),
    regenerate: $('regenerate'),
    note: $('action-note'),
    manual: $('manual-copy'),
    manualText: $('manual-copy-text'),
    dialog: $('confirm-regenerate'),
    confirmOk: $('confirm-ok'),
    confirmCancel: $('confirm-cancel'),
    destructive: $('destructive-enabled'),
    destructiveList: $('destructive-tool-list'),
    destructiveRun: $('destructive-run'),
    destructiveNote: $('destructive-note'),
    destructiveProblem: $('destructive-problem'),
  };

  var busy = false;
  var dirty = { bind: false, port: false };
  var lastState = null;

  function note(text, kind) {
    el.note.textContent = text || '';
    if (kind) el.note.setAttribute('data-kind', kind);
    else el.note.removeAttribute('data-kind');
  }

  // ---- MCP server -------------------------------------------------------------------------

  function renderState(state) {
    if (!state?.mcp) return;
    lastState = state;
    var mcp = state.mcp;
    var running = mcp.state === 'running';
    el.status.setAttribute('data-state', mcp.state);
    el.statusText.textContent = '';
    if (running) {
      el.statusText.appendChild(document.createTextNode('running on '));
      el.statusText.appendChild(make('code', { id: 'mcp-url', text: mcp.url }));
    } else if (mcp.state === 'error') {
      el.statusText.textContent = 'not running: ' + mcp.error;
    } else {
      el.statusText.textContent = 'stopped';
    }
    if (!busy) {
      el.enabled.checked = running;
      el.enabled.disabled = false;
    }
    el.bind.disabled = running;
    el.port.disabled = running;
    if (running || !dirty.bind) el.bind.value = running ? mcp.bind : mcp.configured.bind;
    if (running || !dirty.port) el.port.value = String(running ? mcp.port : mcp.configured.port);
    if (running) {
      dirty.bind = false;
      dirty.port = false;
    }
    $('mcp-exposed').hidden = !mcp.exposed;
    el.sessions.textContent = running ? String(mcp.sessions) : '0 (server stopped)';
    var fp = state.token.fingerprint || 'none yet (created when first enabled)';
    if (el.fingerprint.textContent !== fp) el.fingerprint.textContent = fp;
    el.tokenFile.textContent = state.token.file;
    if (state.destructive) renderDestructive(state.destructive);
  }

  // ---- Destructive tools ----------------------------------------------------------------------

  var destructiveBusy = false;

  function renderDestructive(d) {
    if (destructiveBusy) return;
    el.destructive.checked = d.enabled;
    el.destructiveRun.hidden = !d.forRun;
    var on = d.enabled || d.forRun;
    var names = d.tools
      .map(function (t) {
        return t.name;
      })
      .join(',');
    if (el.destructiveList.getAttribute('data-tools') !== names) {
      el.destructiveList.textContent = '';
      d.tools.forEach(function (t) {
        var id = 'destructive-tool-' + t.name;
        var box = make('input', { type: 'checkbox', id: id, 'data-tool': t.name });
        box.addEventListener('change', saveDestructive);
        el.destructiveList.appendChild(
          make('div', { className: 'tool-choice' }, [
            box,
            make('label', { for: id }, [make('code', { text: t.name }), make('span', { className: 'sub', text: t.title })]),
          ]),
        );
      });
      el.destructiveList.setAttribute('data-tools', names);
    }
    d.tools.forEach(function (t) {
      var box = $('destructive-tool-' + t.name);
      box.checked = t.allowed;
      box.disabled = !on;
    });
  }

  async function saveDestructive() {
    destructiveBusy = true;
    show(el.destructiveProblem, '');
    el.destructiveNote.textContent = '';
    var enabled = el.destructive.checked;
    var tools = Array.prototype.map.call(el.destructiveList.querySelectorAll('input[data-tool]:checked'), function (box) {
      return box.getAttribute('data-tool');
    });
    // Turning the class on with every tool unticked means all of them, as it did before it was turned off.
    if (enabled && !tools.length)
      tools = Array.prototype.map.call(el.destructiveList.querySelectorAll('input[data-tool]'), function (box) {
        return box.getAttribute('data-tool');
      });
    try {
      const state = await api('POST', '/api/policy/destructive', { enabled: enabled, tools: tools });
      destructiveBusy = false;
      renderState(state);
      refreshPolicy(true);
      const allowed = state.destructive.tools
        .filter(function (t) {
          return t.allowed;
        })
        .map(function (t) {
          return t.name;
        });
      el.destructiveNote.textContent = state.destructive.enabled
        ? 'Saved: ' +
          (allowed.length === state.destructive.tools.length ? 'every destructive tool' : allowed.join(', ')) +
          ' can be called, each call confirmed by you.'
        : 'Saved: destructive tools are off.';
    } catch (err) {
      destructiveBusy = false;
      if (err.data?.destructive) renderState(err.data);
      show(el.destructiveProblem, err.message);
    }
  }

  function addressInput() {
    return { bind: el.bind.value.trim(), port: el.port.value === '' ? NaN : Number(el.port.value) };
  }

  function validateAddress(address) {
    el.bind.removeAttribute('aria-invalid');
    el.port.removeAttribute('aria-invalid');
    if (!address.bind) {
      el.bind.setAttribute('aria-invalid', 'true');
      return 'Enter a bind address, for example 127.0.0.1.';
    }
    if (!Number.isInteger(address.port) || address.port < 0 || address.port > 65535) {
      el.port.setAttribute('aria-invalid', 'true');
      return 'Port must be a whole number from 0 to 65535.';
    }
    return '';
  }

  async function refreshState() {
    try {
      renderState(await api('GET', '/api/state'));
    } catch {
      /* shown in the header */
    }
  }

  async function onToggle() {
    var wantOn = el.enabled.checked;
    busy = true;
    el.enabled.disabled = true;
    el.enabled.setAttribute('aria-busy', 'true');
    show(el.problem, '');
    note('');
    try {
      if (wantOn) {
        const address = addressInput();
        const invalid = validateAddress(address);
        if (invalid) {
          el.enabled.checked = false;
          show(el.problem, invalid);
          return;
        }
        el.statusText.textContent = 'starting…';
        renderState(await api('POST', '/api/mcp/enable', address));
        dirty.bind = false;
        dirty.port = false;
      } else {
        el.statusText.textContent = 'stopping…';
        renderState(await api('POST', '/api/mcp/disable', {}));
      }
    } catch (err) {
      if (err.data?.mcp) renderState(err.data);
      el.enabled.checked = !!(lastState && lastState.mcp.state === 'running');
      // A listener error is already in the status row; say anything else below the inputs.
      if (!(err.data?.mcp && err.data.mcp.state === 'error')) show(el.problem, err.message);
      else el.port.focus();
    } finally {
      busy = false;
      el.enabled.disabled = false;
      el.enabled.removeAttribute('aria-busy');
      if (lastState) el.enabled.checked = lastState.mcp.state === 'running';
    }
  }

  async function onAddressChange() {
    var address = addressInput();
    var invalid = validateAddress(address);
    show(el.problem, invalid);
    if (invalid) return;
    try {
      renderState(await api('POST', '/api/mcp/address', address));
      dirty.bind = false;
      dirty.port = false;
      // Blurring the input by ticking Enable also lands here; the toggle then speaks for itself.
      if (!busy && !el.enabled.checked) note('Saved ' + address.bind + ':' + address.port + '. Tick Enable to start the server there.', 'ok');
    } catch (err) {
      if (err.data?.mcp) renderState(err.data);
      show(el.problem, err.message);
    }
  }

  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text).then(
        function () {
          return true;
        },
        function () {
          return false;
        },
      );
    }
    return Promise.resolve(false);
  }

  async function onCopy() {
    el.copy.disabled = true;
    el.manual.hidden = true;
    el.manualText.value = '';
    note('');
    try {
      const answer = await api('POST', '/api/token/command', {});
      const copied = await copyText(answer.command);
      if (copied) {
        note(
          'Copied. Paste it in a terminal to register Kubezilla with Claude Code. It contains the token: keep it private.' +
            (answer.running ? '' : ' The server is not running yet: tick Enable first.'),
          'ok',
        );
      } else {
        el.manualText.value = answer.command;
        el.manual.hidden = false;
        el.manualText.focus();
        el.manualText.select();
        note('');
      }
    } catch (err) {
      note('Could not get the command: ' + err.message, 'bad');
    } finally {
      el.copy.disabled = false;
    }
  }

  function onRegenerateClick() {
    note('');
    if (typeof el.dialog.showModal === 'function') {
      el.dialog.showModal();
      el.confirmCancel.focus();
    } else if (window.confirm('Regenerate the token? Every client using the old one is disconnected.')) {
      regenerate();
    }
  }

  async function regenerate() {
    var before = el.fingerprint.textContent;
    el.regenerate.disabled = true;
    try {
      const state = await api('POST', '/api/token/regenerate', {});
      renderState(state);
      el.manual.hidden = true;
      el.manualText.value = '';
      if (state.token.fingerprint !== before) {
        el.fingerprint.classList.remove('changed');
        void el.fingerprint.offsetWidth;
        el.fingerprint.classList.add('changed');
      }
      note('New token ' + state.token.fingerprint + '. Clients using the old token are refused: copy the command again to re-register them.', 'ok');
    } catch (err) {
      note('Could not regenerate the token: ' + err.message, 'bad');
    } finally {
      el.regenerate.disabled = false;
      el.regenerate.focus();
    }
  }

  // ---- Wiring ---------------------------------------------------------------------------------

  el.enabled.addEventListener('change', onToggle);
  el.destructive.addEventListener('change', saveDestructive);
  el.bind.addEventListener('input', function () {
    dirty.bind = true;
  });
  el.port.addEventListener('input', function () {
    dirty.port = true;
  });
  el.bind.addEventListener('change', onAddressChange);
  el.port.addEventListener('change', onAddressChange);
  el.copy.addEventListener('click', onCopy);
  el.regenerate.addEventListener('click', onRegenerateClick);
  el.confirmCancel.addEventListener('click', function () {
    el.dialog.close('cancel');
  });
  el.confirmOk.addEventListener('click', function () {
    el.dialog.close('confirm');
  });
  el.dialog.addEventListener('close', function () {
    if (el.dialog.returnValue === 'confirm') regenerate();
    else {
      note('Regenerate cancelled; the token is unchanged.');
      el.regenerate.focus();
    }
    el.dialog.returnValue = '';
  });
  document.addEventListener('kz:refresh-clusters', refreshClusters);

  refreshState();
  startClusters();
  startPolicy();
  startBastions();
  startActivity();
  startForwards();
  // Every 2 s the MCP status, contexts (with live tunnel states) and sessions; the rest every 10 s.
  // Each card redraws only what changed and keeps the keyboard focus where it was.
  var ticks = 0;
  setInterval(function () {
    if (document.hidden) return;
    ticks += 1;
    refreshState();
    refreshClusters();
    refreshSessions();
    if (ticks % 5 === 0) {
      refreshAudit();
      refreshForwards();
      refreshPolicy(false);
    }
  }, 2000);
  document.addEventListener('visibilitychange', function () {
    if (!document.hidden) refreshState();
  });
})();
