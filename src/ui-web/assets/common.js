// Shared by the settings page's scripts (a module; app.js imports it): the CSRF-protected JSON API,
// and building DOM nodes with textContent only (never innerHTML).
const csrfMeta = document.querySelector('meta[name="csrf-token"]');
const csrf = csrfMeta ? csrfMeta.getAttribute('content') : '';

export function $(id) {
  return document.getElementById(id);
}

export function ApiError(message, status, data) {
  this.message = message;
  this.status = status;
  this.data = data;
}

export async function api(method, path, body) {
  var init = {
    method: method,
    headers: { 'X-CSRF-Token': csrf, Accept: 'application/json' },
    credentials: 'same-origin',
    cache: 'no-store',
  };
  if (method === 'POST') {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body || {});
  }
  var response;
  try {
    response = await fetch(path, init);
  } catch {
    setConnection('Cannot reach kubezilla-mcp. Is it still running?');
    throw new ApiError('Cannot reach kubezilla-mcp', 0, null);
  }
  var data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  // 403 here means this page's CSRF token is stale: kubezilla-mcp restarted since it loaded.
  setConnection(response.status === 403 ? 'kubezilla-mcp restarted since this page loaded: reload the page.' : '');
  if (!response.ok) {
    const message = (data && (data.problem || data.error?.message)) || 'HTTP ' + response.status;
    throw new ApiError(message, response.status, data);
  }
  return data;
}

export function setConnection(text) {
  const connection = $('connection');
  if (connection.textContent !== text) connection.textContent = text;
}

export function show(node, text) {
  node.textContent = text || '';
  node.hidden = !text;
}

export function make(tag, attrs, children) {
  var node = document.createElement(tag);
  if (attrs) {
    Object.keys(attrs).forEach(function (key) {
      if (key === 'text') node.textContent = attrs[key];
      else if (key === 'className') node.className = attrs[key];
      else node.setAttribute(key, attrs[key]);
    });
  }
  (children || []).forEach(function (child) {
    if (child === null || child === undefined) return;
    node.appendChild(typeof child === 'string' ? document.createTextNode(child) : child);
  });
  return node;
}

// A refusal from the server names its fields (`problems: [{field, reason}]`, fields as in
// settings.json); the inputs inside `root` whose data-field is one of them are marked invalid and
// described by the problem's text, so a screen reader says why when the input is focused again.
export function markFields(root, problems, problemNode) {
  var fields = (problems || []).map(function (p) {
    return p.field;
  });
  Array.prototype.forEach.call(root.querySelectorAll('[data-field]'), function (input) {
    var field = input.getAttribute('data-field');
    var bad = fields.some(function (f) {
      return f === field || f.indexOf(field + '.') === 0;
    });
    var described = (input.getAttribute('aria-describedby') || '').split(' ').filter(function (id) {
      return id && id !== problemNode?.id;
    });
    if (bad) {
      input.setAttribute('aria-invalid', 'true');
      if (problemNode) described.push(problemNode.id);
    } else input.removeAttribute('aria-invalid');
    if (described.length) input.setAttribute('aria-describedby', described.join(' '));
    else input.removeAttribute('aria-describedby');
  });
}

// Re-rendering a list must not throw away the keyboard focus: finds the focused element's
// `data-key` before `render` and focuses the element with the same key afterwards.
export function keepFocus(root, render) {
  var active = document.activeElement;
  var key = active && root.contains(active) ? active.getAttribute('data-key') : null;
  render();
  if (key) {
    const again = root.querySelector('[data-key="' + CSS.escape(key) + '"]');
    if (again) again.focus();
  }
}

export function button(text, attrs, onClick) {
  var node = make('button', Object.assign({ type: 'button', className: 'button subtle small', text: text }, attrs || {}));
  node.addEventListener('click', onClick);
  return node;
}
