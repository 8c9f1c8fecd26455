// The settings page's Clusters card (a module; app.js starts it): every context with its source,
// tunnel state and a Test of its API server; the kubeconfig files and inline kubeconfigs of the
// settings, added and removed here. After each refresh it tells the other cards the contexts
// (event `kz:contexts` on document), so the policy and bastion cards pick from the same list.
import { $, api, button, keepFocus, make, markFields, show } from './common.js';

var probes = {}; // context -> last Test answer, kept across refreshes
var lastClusters = '';

function tunnelCell(tunnel) {
  if (!tunnel) return make('span', { className: 'sub', text: 'direct' });
  var wrap = make('div');
  wrap.appendChild(make('span', { className: 'badge ' + tunnel.status, text: tunnel.status }));
  wrap.appendChild(make('span', { className: 'sub', text: 'via ' + tunnel.bastion }));
  if (tunnel.reason) wrap.appendChild(make('span', { className: 'sub', text: tunnel.reason }));
  return wrap;
}

function probeText(p) {
  if (!p) return null;
  if (p.pending) return make('span', { className: 'probe', text: 'testing…' });
  if (p.ok) return make('span', { className: 'probe ok', text: 'reachable: ' + (p.version || 'answered') + ' in ' + p.latencyMs + ' ms' });
  return make('span', { className: 'probe bad', text: 'unreachable after ' + p.latencyMs + ' ms: ' + p.error });
}

async function test(name) {
  probes[name] = { pending: true };
  renderClusters(JSON.parse(lastClusters));
  try {
    probes[name] = await api('POST', '/api/clusters/test', { context: name });
  } catch (err) {
    probes[name] = { ok: false, latencyMs: 0, error: err.message };
  }
  renderClusters(JSON.parse(lastClusters));
  refreshClusters();
}

function renderClusters(data) {
  show($('clusters-error'), data.error || '');
  var body = $('contexts-body');
  keepFocus(body, function () {
    body.textContent = '';
    if (!data.contexts.length) {
      body.appendChild(
        make('tr', null, [
          make('td', {
            colspan: '6',
            className: 'empty',
            text: data.error
              ? 'No contexts.'
              : 'No contexts found. Add a kubeconfig file or paste one below; kubezilla-mcp also reads KUBECONFIG or ~/.kube/config.',
          }),
        ]),
      );
    }
    data.contexts.forEach(function (c) {
      var nameCell = make('td', { className: 'ctx-name' }, [make('strong', { text: c.name })]);
      if (c.isCurrent) nameCell.appendChild(make('span', { className: 'badge current', text: 'current' }));
      if (c.readOnly) nameCell.appendChild(make('span', { className: 'badge read-only', text: 'read-only', title: c.readOnly }));
      if (c.problem) nameCell.appendChild(make('span', { className: 'ctx-problem', text: c.problem }));
      var probe = probes[c.name];
      var testButton = button('Test', { 'data-key': 'test:' + c.name, 'aria-label': 'Test ' + c.name }, function () {
        test(c.name);
      });
      if (probe?.pending) testButton.disabled = true;
      body.appendChild(
        make('tr', { 'data-context': c.name }, [
          nameCell,
          make('td', null, [c.cluster, make('span', { className: 'sub url', text: c.server || 'no server' })]),
          make('td', { text: c.namespace }),
          make('td', { className: 'source' }, [make('code', { text: c.source })]),
          make('td', null, [tunnelCell(c.tunnel)]),
          make('td', { className: 'reach' }, [testButton, probeText(probe)]),
        ]),
      );
    });
  });
  var list = $('broken-list');
  list.textContent = '';
  (data.problems || []).forEach(function (p) {
    list.appendChild(
      make('li', null, [
        make('span', { className: 'file', text: p.source + (p.line ? ' (line ' + p.line + ')' : '') }),
        make('span', { className: 'message', text: p.message }),
      ]),
    );
  });
  $('broken-sources').hidden = !data.problems?.length;
}

export async function refreshClusters() {
  try {
    const data = await api('GET', '/api/clusters');
    const text = JSON.stringify(data);
    if (text !== lastClusters) {
      lastClusters = text;
      renderClusters(data);
    }
    document.dispatchEvent(new CustomEvent('kz:contexts', { detail: data }));
  } catch (err) {
    show($('clusters-error'), err.message);
  }
}

// ---- Kubeconfig sources ------------------------------------------------------------------------

function contextsOf(source) {
  if (!source.contexts.length) return make('span', { className: 'sub', text: 'no contexts' });
  return make(
    'ul',
    null,
    source.contexts.map(function (c) {
      return make('li', null, [make('strong', { text: c.name }), ' → ' + (c.server || 'no server') + (c.namespace ? ' (namespace ' + c.namespace + ')' : '')]);
    }),
  );
}

function sourceItem(source, kind) {
  var problems = source.problems.map(function (p) {
    return make('span', { className: 'ctx-problem', text: (p.line ? 'line ' + p.line + ': ' : '') + p.message });
  });
  var remove = button('Remove', { 'data-key': kind + ':' + source.id, 'aria-label': 'Remove ' + source.id }, function () {
    removeSource(kind, source.id);
  });
  return make('li', { 'data-source': source.id }, [
    make('div', { className: 'what' }, [make('code', { text: source.id }), contextsOf(source)].concat(problems)),
    remove,
  ]);
}

function renderSources(data) {
  [
    ['files-list', data.files, 'file', 'No kubeconfig files added here yet.'],
    ['inline-list', data.inline, 'inline', 'No inline kubeconfigs yet.'],
  ].forEach(function (row) {
    var list = $(row[0]);
    keepFocus(list, function () {
      list.textContent = '';
      if (!row[1].length) list.appendChild(make('li', { className: 'empty', text: row[3] }));
      row[1].forEach(function (s) {
        list.appendChild(sourceItem(s, row[2]));
      });
    });
  });
}

async function removeSource(kind, id) {
  var problem = kind === 'file' ? $('file-problem') : $('inline-problem');
  show(problem, '');
  try {
    renderSources(
      await api('POST', kind === 'file' ? '/api/kubeconfig/files/remove' : '/api/kubeconfig/inline/remove', kind === 'file' ? { path: id } : { name: id }),
    );
    (kind === 'file' ? $('file-path') : $('inline-name')).focus();
    $(kind === 'file' ? 'file-preview' : 'inline-note').textContent = 'Removed ' + id + '.';
    refreshClusters();
  } catch (err) {
    show(problem, err.message);
  }
}

function showPreview(preview, verb) {
  var box = $('file-preview');
  box.textContent = '';
  if (!preview) return;
  box.appendChild(
    make('p', null, [verb + ' ', make('code', { text: preview.id }), ': ' + preview.contexts.length + ' context' + (preview.contexts.length === 1 ? '' : 's')]),
  );
  box.appendChild(contextsOf(preview));
  preview.problems.forEach(function (p) {
    box.appendChild(make('p', { className: 'sub', text: (p.line ? 'line ' + p.line + ': ' : '') + p.message }));
  });
}

async function checkFile(save) {
  var form = $('file-form');
  var problem = $('file-problem');
  show(problem, '');
  markFields(form, [], problem);
  var path = $('file-path').value.trim();
  try {
    if (save) {
      const answer = await api('POST', '/api/kubeconfig/files', { path: path });
      renderSources(answer);
      showPreview(answer.preview, 'Added');
      $('file-path').value = '';
      refreshClusters();
    } else {
      const answer = await api('POST', '/api/kubeconfig/check', { path: path });
      showPreview(answer.preview, answer.problem ? 'Cannot add' : 'Ready to add');
      if (answer.problem) {
        show(problem, answer.problem);
        markFields(form, [{ field: 'path' }], problem);
      }
    }
  } catch (err) {
    showPreview(err.data?.preview, 'Not added');
    show(problem, err.message);
    markFields(form, err.data?.problems, problem);
    $('file-path').focus();
  }
}

async function saveInline(event) {
  event.preventDefault();
  var form = $('inline-form');
  var problem = $('inline-problem');
  show(problem, '');
  $('inline-note').textContent = '';
  markFields(form, [], problem);
  try {
    const answer = await api('POST', '/api/kubeconfig/inline', { name: $('inline-name').value.trim(), content: $('inline-content').value });
    // The pasted text leaves the page once saved: what stays is its contexts and servers.
    $('inline-content').value = '';
    $('inline-name').value = '';
    renderSources(answer);
    $('inline-note').textContent =
      'Saved ' +
      answer.preview.id +
      ': ' +
      answer.preview.contexts
        .map(function (c) {
          return c.name;
        })
        .join(', ') +
      '.';
    refreshClusters();
  } catch (err) {
    show(problem, err.message);
    markFields(form, err.data?.problems, problem);
    const first = form.querySelector('[aria-invalid="true"]');
    if (first) first.focus();
  }
}

export async function refreshSources() {
  try {
    renderSources(await api('GET', '/api/kubeconfig'));
  } catch (err) {
    show($('file-problem'), err.message);
  }
}

export function startClusters() {
  $('refresh-clusters').addEventListener('click', function () {
    lastClusters = '';
    refreshClusters();
    refreshSources();
  });
  $('file-check').addEventListener('click', function () {
    checkFile(false);
  });
  $('file-form').addEventListener('submit', function (event) {
    event.preventDefault();
    checkFile(true);
  });
  $('inline-form').addEventListener('submit', saveInline);
  refreshClusters();
  refreshSources();
}
