// The settings page's activity (a module; app.js starts it): the audit log with its filters and
// the JSON-lines export, and the connected MCP sessions. The export is fetched with the page's
// CSRF header like every API call, then handed to the browser as a file download.
import { $, api, make, setConnection, show } from './common.js';

var csrfMeta = document.querySelector('meta[name="csrf-token"]');

function query() {
  var params = new URLSearchParams();
  [
    ['tool', 'audit-tool'],
    ['context', 'audit-context'],
    ['outcome', 'audit-outcome'],
    ['text', 'audit-text'],
  ].forEach(function (f) {
    var value = $(f[1]).value.trim();
    if (value) params.set(f[0], value);
  });
  return params.toString();
}

function fillSelect(id, values, anyText) {
  var select = $(id);
  var key = values.join('\n');
  if (select.getAttribute('data-values') === key) return;
  select.setAttribute('data-values', key);
  var current = select.value;
  select.textContent = '';
  select.appendChild(make('option', { value: '', text: anyText }));
  values.forEach(function (v) {
    select.appendChild(make('option', { value: v, text: v }));
  });
  // A filter stays on while its value has gone from the newest entries.
  if (current && values.indexOf(current) < 0) select.appendChild(make('option', { value: current, text: current }));
  select.value = current;
}

function renderAudit(data) {
  show($('audit-error'), data.error || '');
  if (data.file) $('audit-file').textContent = data.file;
  fillSelect('audit-tool', data.tools || [], 'Any tool');
  fillSelect('audit-context', data.contexts || [], 'Any context');
  fillSelect('audit-outcome', data.outcomes || [], 'Any outcome');
  var filtered = !!query();
  $('audit-count').textContent = filtered ? data.matched + ' of the ' + data.searched + ' newest entries match.' : '';
  var body = $('audit-body');
  body.textContent = '';
  if (!data.entries.length) {
    body.appendChild(
      make('tr', null, [
        make('td', {
          colspan: '6',
          className: 'empty',
          text: filtered
            ? 'No entry matches these filters.'
            : 'No mutations yet. Every apply, scale, restart, Helm change, delete and node change made through MCP is listed here.',
        }),
      ]),
    );
  }
  data.entries.forEach(function (e) {
    var when = new Date(e.time);
    body.appendChild(
      make('tr', null, [
        make('td', null, [make('time', { datetime: e.time, title: e.time, text: Number.isNaN(when.getTime()) ? e.time : when.toLocaleString() })]),
        make('td', null, [make('code', { className: 'name', text: e.tool })]),
        make('td', { text: e.target }),
        make('td', null, [e.context || '–', make('span', { className: 'sub', text: e.namespace || '' })]),
        make('td', null, [make('span', { className: 'badge ' + e.outcome, text: e.outcome })]),
        make('td', { text: e.summary }),
      ]),
    );
  });
}

export async function refreshAudit() {
  try {
    const q = query();
    renderAudit(await api('GET', '/api/audit?limit=25' + (q ? '&' + q : '')));
  } catch (err) {
    show($('audit-error'), err.message);
  }
}

async function exportAudit() {
  show($('audit-error'), '');
  var q = query();
  try {
    const response = await fetch('/api/audit/export' + (q ? '?' + q : ''), {
      headers: { 'X-CSRF-Token': csrfMeta ? csrfMeta.getAttribute('content') : '' },
      credentials: 'same-origin',
      cache: 'no-store',
    });
    if (!response.ok) throw new Error('HTTP ' + response.status);
    const name = /filename="([^"]+)"/.exec(response.headers.get('content-disposition') || '');
    const url = URL.createObjectURL(await response.blob());
    const link = make('a', { href: url, download: name ? name[1] : 'kubezilla-audit.jsonl', hidden: '' });
    document.body.appendChild(link);
    link.click();
    link.remove();
    setTimeout(function () {
      URL.revokeObjectURL(url);
    }, 10_000);
    $('audit-count').textContent = 'Exported ' + (q ? 'the matching entries' : 'the audit log') + ' as JSON lines.';
  } catch (err) {
    setConnection('');
    show($('audit-error'), 'Could not export the audit log: ' + err.message);
  }
}

export async function refreshSessions() {
  var body = $('sessions-body');
  try {
    const data = await api('GET', '/api/sessions');
    const key = JSON.stringify(data.sessions);
    if (body.getAttribute('data-state') === key) return;
    body.setAttribute('data-state', key);
    body.textContent = '';
    if (!data.sessions.length) body.appendChild(make('tr', null, [make('td', { colspan: '4', className: 'empty', text: 'No MCP client is connected.' })]));
    data.sessions.forEach(function (s) {
      body.appendChild(
        make('tr', { 'data-session': s.id }, [
          make('td', null, [
            make('strong', { text: s.client || 'unnamed client' }),
            s.clientVersion ? make('span', { className: 'sub', text: 'version ' + s.clientVersion }) : null,
          ]),
          make('td', null, [make('code', { text: s.id.slice(0, 8) })]),
          make('td', null, [make('time', { datetime: s.openedAt, text: new Date(s.openedAt).toLocaleString() })]),
          make('td', null, [make('time', { datetime: s.lastSeen, text: new Date(s.lastSeen).toLocaleString() })]),
        ]),
      );
    });
  } catch {
    /* shown in the header */
  }
}

export function startActivity() {
  var timer;
  $('audit-filters').addEventListener('submit', function (event) {
    event.preventDefault();
    refreshAudit();
  });
  ['audit-tool', 'audit-context', 'audit-outcome'].forEach(function (id) {
    $(id).addEventListener('change', refreshAudit);
  });
  $('audit-text').addEventListener('input', function () {
    clearTimeout(timer);
    timer = setTimeout(refreshAudit, 250);
  });
  $('audit-export').addEventListener('click', exportAudit);
  $('refresh-audit').addEventListener('click', refreshAudit);
  refreshAudit();
  refreshSessions();
}
