// The settings page's list of port forwards (a module; app.js starts it), refreshed with the
// page. A forward is a listener on this machine into a pod, so the person sees every one of them
// and where it goes, and can Stop any of them (its local ports are free once the answer comes).
import { $, api, button, keepFocus, make, show } from './common.js';

async function stop(forward) {
  $('forwards-note').textContent = '';
  try {
    render(await api('POST', '/api/forwards/stop', { id: forward.id }));
    $('forwards-note').textContent = 'Stopped ' + forward.id + ' (' + forward.target + '); its local ports are closed.';
    $('refresh-forwards').focus();
  } catch (err) {
    show($('forwards-error'), err.message);
    refreshForwards();
  }
}

function bytes(n) {
  if (n < 1024) return n + ' B';
  if (n < 1024 * 1024) return (n / 1024).toFixed(1) + ' KiB';
  return (n / 1024 / 1024).toFixed(1) + ' MiB';
}

function render(data) {
  show($('forwards-error'), data.error || '');
  var body = $('forwards-body');
  keepFocus(body, function () {
    rows(body, data);
  });
}

function rows(body, data) {
  body.textContent = '';
  if (!data.forwards.length) {
    body.appendChild(make('tr', null, [make('td', { colspan: '6', className: 'empty', text: 'No port forwards are open.' })]));
  }
  var ended = (data.ended || []).map(function (f) {
    return (
      f.id +
      ' (' +
      f.target +
      ', ' +
      f.ports
        .map(function (p) {
          return p.local;
        })
        .join(', ') +
      '): ' +
      f.ended
    );
  });
  show($('forwards-ended'), ended.length ? 'Ended lately: ' + ended.join('; ') + '.' : '');
  data.forwards.forEach(function (f) {
    var ports = f.ports.map(function (p) {
      return make('div', null, [make('code', { text: p.local }), ' → ' + p.podPort]);
    });
    var notes = f.notes.map(function (n) {
      return make('div', { className: 'sub', text: n });
    });
    body.appendChild(
      make('tr', null, [
        make('td', null, [
          make('code', { className: 'name', text: f.id }),
          make('span', { className: 'sub', text: 'since ' + new Date(f.since).toLocaleString() }),
        ]),
        make('td', null, [f.target + ' → pod ' + f.pod, make('span', { className: 'sub', text: f.context + ' / ' + f.namespace })]),
        make('td', null, ports),
        make('td', null, [
          f.connections + ' connections (' + f.active + ' open), ' + bytes(f.bytesIn) + ' in, ' + bytes(f.bytesOut) + ' out',
          make('span', { className: 'sub', text: 'idle ' + f.idleSeconds + ' s of ' + f.idleTimeoutSeconds + ' s' }),
        ]),
        make('td', null, notes.length ? notes : ['–']),
        make('td', null, [
          button(
            'Stop',
            { className: 'button danger-outline small', 'data-key': 'stop:' + f.id, 'aria-label': 'Stop ' + f.id + ' (' + f.target + ')' },
            function () {
              stop(f);
            },
          ),
        ]),
      ]),
    );
  });
}

export async function refreshForwards() {
  try {
    render(await api('GET', '/api/forwards'));
  } catch (err) {
    show($('forwards-error'), err.message);
  }
}

export function startForwards() {
  $('refresh-forwards').addEventListener('click', refreshForwards);
  refreshForwards();
}
