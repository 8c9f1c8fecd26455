// The settings page's SSH bastions card (a module; app.js starts it). Picking a context fills the
// form with its saved bastion; Test connection shows the host key the bastion presents and what
// the named known_hosts file says of it. An unknown key gets a "Trust this key" button naming its
// fingerprint, which the server writes to that known_hosts file only if the bastion still presents
// exactly that key. A changed or revoked key is shown as the danger it is, with no button: the
// person removes the old line themselves, knowingly. The tunnel's live state is in the Clusters card.
import { $, api, make, markFields, show } from './common.js';

var tunnels = {};
var contexts = [];
var offered = null; // the fingerprint the Trust button stands for

var FIELDS = [
  ['bastion-host', 'host'],
  ['bastion-port', 'port'],
  ['bastion-user', 'user'],
  ['bastion-key', 'identityFile'],
  ['bastion-known-hosts', 'knownHostsFile'],
  ['bastion-remote', 'remoteServer'],
];

function form() {
  var out = { context: $('bastion-context').value };
  FIELDS.forEach(function (f) {
    var value = $(f[0]).value.trim();
    if (value) out[f[1]] = f[1] === 'port' ? Number(value) : value;
  });
  return out;
}

function fill(context) {
  var t = tunnels[context] || {};
  FIELDS.forEach(function (f) {
    $(f[0]).value = t[f[1]] === undefined ? '' : String(t[f[1]]);
  });
  $('bastion-remove').disabled = !tunnels[context];
  clearResult();
}

function clearResult() {
  $('bastion-result').textContent = '';
  $('bastion-trust').hidden = true;
  show($('bastion-danger'), '');
  show($('bastion-problem'), '');
  $('bastion-note').textContent = '';
  offered = null;
}

function renderContexts() {
  var select = $('bastion-context');
  var current = select.value;
  var names = contexts.map(function (c) {
    return c.name;
  });
  if (select.getAttribute('data-names') === names.join('\n')) return;
  select.setAttribute('data-names', names.join('\n'));
  select.textContent = '';
  contexts.forEach(function (c) {
    select.appendChild(make('option', { value: c.name, text: c.name + (c.tunnel ? ' (via ' + c.tunnel.bastion + ')' : '') }));
  });
  if (names.indexOf(current) >= 0) select.value = current;
  fill(select.value);
}

function showProbe(probe) {
  var box = $('bastion-result');
  box.textContent = '';
  $('bastion-trust').hidden = true;
  show($('bastion-danger'), '');
  offered = null;
  var key = probe.hostKey;
  if (key) {
    box.appendChild(make('p', null, [probe.bastion + ' presented ' + key.type + ' ', make('code', { id: 'bastion-fingerprint', text: key.fingerprint })]));
  }
  if (key && key.status === 'known') box.appendChild(make('p', { text: 'Host key trusted: it ' + key.message + '.' }));
  if (key && key.status === 'unknown') {
    $('bastion-trust-text').textContent =
      'This host is not in ' +
      probe.knownHostsFile +
      '. Compare the fingerprint ' +
      key.fingerprint +
      " with the bastion's owner (on the bastion: ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub). Trust it only if they match; nothing was sent to the bastion but the handshake.";
    $('bastion-trust-button').textContent = 'Trust ' + key.fingerprint;
    $('bastion-trust').hidden = false;
    offered = key.fingerprint;
  }
  if (key && (key.status === 'changed' || key.status === 'revoked')) {
    const danger = $('bastion-danger');
    danger.textContent = '';
    danger.appendChild(make('p', { text: (key.status === 'changed' ? 'Danger: the host key CHANGED. ' : 'Danger: this key is REVOKED. ') + key.message }));
    danger.appendChild(make('p', { text: 'Nothing was trusted and no login was tried. ' + (key.hint || '') }));
    danger.hidden = false;
  }
  var login = {
    ok: 'Login works.',
    refused: 'Login refused: ' + (probe.error || ''),
    'not-tried': key && key.status !== 'known' ? 'Login not tried until the host key is trusted.' : '',
  }[probe.login];
  if (login) box.appendChild(make('p', { text: login }));
  if (probe.error && probe.login !== 'refused') show($('bastion-problem'), probe.error);
}

async function run(path, body, after) {
  var problem = $('bastion-problem');
  show(problem, '');
  $('bastion-note').textContent = '';
  markFields($('bastions'), [], problem);
  try {
    const answer = await api('POST', path, body);
    after(answer);
  } catch (err) {
    show(problem, err.message);
    markFields($('bastions'), err.data?.problems, problem);
    if (err.data?.probe) {
      showProbe(err.data.probe);
      show(problem, err.message);
    }
  }
}

function test() {
  clearResult();
  $('bastion-result').textContent = 'Connecting…';
  run('/api/tunnels/test', form(), function (answer) {
    showProbe(answer.probe);
    $('bastion-test').focus();
  });
}

function trust() {
  var body = Object.assign(form(), { fingerprint: offered });
  run('/api/tunnels/trust', body, function (answer) {
    showProbe(answer.probe);
    $('bastion-note').textContent = 'Trusted: added to ' + answer.probe.knownHostsFile + '.';
    $('bastion-test').focus();
  });
}

function save() {
  run('/api/tunnels', form(), function (answer) {
    tunnels = answer.tunnels;
    $('bastion-remove').disabled = false;
    $('bastion-note').textContent = 'Saved: context ' + $('bastion-context').value + ' is reached through the bastion.';
    document.dispatchEvent(new CustomEvent('kz:refresh-clusters'));
  });
}

function remove() {
  var context = $('bastion-context').value;
  run('/api/tunnels/remove', { context: context }, function (answer) {
    tunnels = answer.tunnels;
    fill(context);
    $('bastion-note').textContent = 'Removed: context ' + context + ' is reached directly again.';
    $('bastion-context').focus();
    document.dispatchEvent(new CustomEvent('kz:refresh-clusters'));
  });
}

export function startBastions() {
  $('bastion-context').addEventListener('change', function () {
    fill($('bastion-context').value);
  });
  $('bastion-test').addEventListener('click', test);
  $('bastion-trust-button').addEventListener('click', trust);
  $('bastion-save').addEventListener('click', save);
  $('bastion-remove').addEventListener('click', remove);
  document.addEventListener('kz:contexts', function (event) {
    contexts = event.detail.contexts;
    renderContexts();
  });
  api('GET', '/api/tunnels').then(
    function (answer) {
      tunnels = answer.tunnels;
      fill($('bastion-context').value);
    },
    function (err) {
      show($('bastion-problem'), err.message);
    },
  );
}
