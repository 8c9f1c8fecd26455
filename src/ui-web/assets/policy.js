// The settings page's Safety policy card (a module; app.js starts it). Each control saves on its
// own change (a box ticked, a text field left): POST /api/policy with that field, which the server
// checks against the settings schema and applies at once. A refusal names the field; the card is
// then drawn again from what is saved, so it never shows a change that was not kept.
import { $, api, keepFocus, make, markFields, show } from './common.js';

var saved = null;
var contexts = [];

function lines(text, separator) {
  return text
    .split(separator)
    .map(function (s) {
      return s.trim();
    })
    .filter(Boolean);
}

function renderReadOnly() {
  var list = $('readonly-list');
  var names = contexts.slice();
  // A listed context that is not loaded now (its file broken or removed) stays visible and can be unticked.
  (saved ? saved.readOnlyContexts : []).forEach(function (n) {
    if (names.indexOf(n) < 0) names.push(n);
  });
  var key = names.join('\n') + '|' + (saved ? saved.readOnlyContexts.join('\n') : '');
  if (list.getAttribute('data-key-state') === key) return;
  list.setAttribute('data-key-state', key);
  keepFocus(list, function () {
    list.textContent = '';
    if (!names.length) list.appendChild(make('p', { className: 'hint', text: 'No contexts are loaded.' }));
    names.forEach(function (name, i) {
      var id = 'readonly-' + i;
      var box = make('input', { type: 'checkbox', id: id, 'data-context': name, 'data-key': 'ro:' + name });
      box.checked = !!saved && saved.readOnlyContexts.indexOf(name) >= 0;
      box.addEventListener('change', function () {
        var chosen = Array.prototype.filter
          .call(list.querySelectorAll('input[data-context]'), function (b) {
            return b.checked;
          })
          .map(function (b) {
            return b.getAttribute('data-context');
          });
        save({ readOnlyContexts: chosen }, box.checked ? name + ' is read-only: every write to it is refused.' : name + ' is writable again.');
      });
      list.appendChild(make('div', { className: 'tool-choice' }, [box, make('label', { for: id }, [make('code', { text: name })])]));
    });
  });
}

function render(state) {
  saved = state.policy;
  contexts = state.contexts;
  ['read', 'safe-mutation'].forEach(function (c) {
    $('policy-class-' + c).checked = saved.enabledClasses.indexOf(c) >= 0;
  });
  var card = $('policy');
  // A field being edited, or holding a refused value (marked invalid, with the reason), keeps what was typed.
  var fill = function (id, value) {
    var input = $(id);
    if (document.activeElement !== input && input.getAttribute('aria-invalid') !== 'true') input.value = value;
  };
  fill('policy-protected', saved.protectedNamespaces.join(', '));
  fill('policy-budget', String(saved.maxOutputBytes));
  fill('policy-charts', saved.allowedChartSources.join('\n'));
  $('policy-reveal').checked = saved.revealSecrets;
  card.setAttribute('data-loaded', 'true');
  renderReadOnly();
}

async function save(change, said) {
  var problem = $('policy-problem');
  var note = $('policy-note');
  show(problem, '');
  note.textContent = '';
  try {
    const state = await api('POST', '/api/policy', change);
    markFields($('policy'), [], problem);
    render(state);
    note.setAttribute('data-kind', 'ok');
    note.textContent = 'Saved. ' + (said || '');
    document.dispatchEvent(new CustomEvent('kz:policy', { detail: state }));
  } catch (err) {
    show(problem, err.message);
    markFields($('policy'), err.data?.problems, problem);
    refreshPolicy(true);
  }
}

export async function refreshPolicy(force) {
  try {
    const state = await api('GET', '/api/policy');
    if (force || JSON.stringify(state.policy) !== JSON.stringify(saved) || state.contexts.join() !== contexts.join()) render(state);
  } catch (err) {
    show($('policy-problem'), err.message);
  }
}

export function startPolicy() {
  ['read', 'safe-mutation'].forEach(function (c) {
    $('policy-class-' + c).addEventListener('change', function () {
      // From the boxes as they are now: the destructive switch saves the same list on its own.
      var classes = ['read', 'safe-mutation'].filter(function (x) {
        return $('policy-class-' + x).checked;
      });
      if ($('destructive-enabled').checked) classes.push('destructive');
      save({ enabledClasses: classes }, ($('policy-class-' + c).checked ? 'Turned on: ' : 'Turned off: ') + c + ' tools.');
    });
  });
  $('policy-protected').addEventListener('change', function () {
    save({ protectedNamespaces: lines($('policy-protected').value, /[,\s]+/) }, 'Protected namespaces updated.');
  });
  $('policy-budget').addEventListener('change', function () {
    var value = $('policy-budget').value;
    save({ maxOutputBytes: value === '' ? null : Number(value) }, 'Answers now hold at most ' + value + ' bytes.');
  });
  $('policy-charts').addEventListener('change', function () {
    save({ allowedChartSources: lines($('policy-charts').value, /\n+/) }, 'Chart sources updated.');
  });
  $('policy-reveal').addEventListener('change', function () {
    save({ revealSecrets: $('policy-reveal').checked }, $('policy-reveal').checked ? 'Secret values are shown in answers.' : 'Secret values are hidden again.');
  });
  document.addEventListener('kz:contexts', function (event) {
    var names = event.detail.contexts.map(function (c) {
      return c.name;
    });
    if (names.join() !== contexts.join()) {
      contexts = names;
      renderReadOnly();
    }
  });
  refreshPolicy(true);
}
