/**
 * The settings page's write endpoints over HTTP, without a browser: kubeconfig files and inline
 * kubeconfigs (checked before saving, credentials never sent back), the safety policy (refusals
 * that name the field, nothing half-saved, tools/list_changed to an open MCP session), SSH
 * bastions against a real sshd (fingerprint shown, trust only of the key the person saw, a changed
 * key never accepted), audit filters and the JSON-lines export, port-forward Stop and the
 * connected sessions with their clients' names; and the same CSRF/Origin guard on every one.
 */
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtInToolNames } from '../helpers/registry.js';
import { startSshd, type TestSshd } from '../providers/helpers/sshd.js';
import { eventually } from '../tools/helpers.js';
import { freePort, startUiServer, type UiServer } from './helpers.js';

let ui: UiServer;
let csrf: string;

async function api(path: string, init: { method?: string; body?: unknown; headers?: Record<string, string> } = {}) {
  const response = await fetch(new URL(path, ui.pageUrl), {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers: { 'x-csrf-token': csrf, ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}), ...init.headers },
    ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
  });
  const text = await response.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json };
}

const settingsFile = () => join(ui.configDir, 'settings.json');
const saved = () => JSON.parse(readFileSync(settingsFile(), 'utf8'));

const INLINE = (context: string, token: string) => `apiVersion: v1
kind: Config
clusters:
- name: pasted-cluster
  cluster: { server: https://10.9.8.7:6443 }
users:
- name: pasted-user
  user: { token: ${token} }
contexts:
- name: ${context}
  context: { cluster: pasted-cluster, user: pasted-user, namespace: team-a }
`;

beforeAll(async () => {
  ui = await startUiServer(await freePort());
  csrf = /<meta name="csrf-token" content="([^"]+)">/.exec(await (await fetch(ui.pageUrl)).text())![1]!;
});

afterAll(async () => {
  await ui?.close();
});

describe('every new endpoint is behind the same guard', () => {
  const writes = [
    '/api/kubeconfig/check',
    '/api/kubeconfig/files',
    '/api/kubeconfig/files/remove',
    '/api/kubeconfig/inline',
    '/api/kubeconfig/inline/remove',
    '/api/clusters/test',
    '/api/policy',
    '/api/tunnels',
    '/api/tunnels/remove',
    '/api/tunnels/test',
    '/api/tunnels/trust',
    '/api/forwards/stop',
  ];

  it('refuses a missing CSRF token, a foreign Origin and a non-JSON body, and changes nothing', async () => {
    const before = readFileSync(settingsFile(), 'utf8');
    for (const path of writes) {
      expect((await api(path, { body: {}, headers: { 'x-csrf-token': 'wrong' } })).status, path).toBe(403);
      const foreign = await api(path, { body: {}, headers: { origin: 'http://localhost:1' } });
      expect(foreign.status, path).toBe(403);
      expect((await api(path, { method: 'POST', headers: { 'content-type': 'text/plain' } })).status, path).toBe(415);
    }
    for (const path of ['/api/kubeconfig', '/api/policy', '/api/tunnels', '/api/sessions', '/api/audit', '/api/audit/export']) {
      expect((await api(path, { headers: { 'x-csrf-token': '' } })).status, path).toBe(403);
    }
    expect(readFileSync(settingsFile(), 'utf8')).toBe(before);
  });
});

describe('kubeconfig sources', () => {
  it('checks a file before adding it: contexts and servers shown, credentials not; broken files refused with the line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kz-ui-add-'));
    const good = join(dir, 'team.yaml');
    writeFileSync(good, INLINE('team-dev', 'file-secret-token-1'));
    const checked = await api('/api/kubeconfig/check', { body: { path: good } });
    expect(checked.status).toBe(200);
    expect(checked.json.problem).toBeNull();
    expect(checked.json.preview.contexts).toEqual([{ name: 'team-dev', cluster: 'pasted-cluster', server: 'https://10.9.8.7:6443', namespace: 'team-a' }]);
    expect(checked.text).not.toContain('file-secret-token-1');
    expect(saved().kubeconfig?.files ?? []).toEqual([]); // a check saves nothing

    const broken = join(dir, 'broken.yaml');
    writeFileSync(broken, 'apiVersion: v1\nkind: Config\ncontexts:\n  - name: a\n    context: [unclosed\n');
    const refused = await api('/api/kubeconfig/files', { body: { path: broken } });
    expect(refused.status).toBe(400);
    expect(refused.json.problems[0].field).toBe('path');
    expect(refused.json.problem).toMatch(/line \d+/);
    for (const [path, reason] of [
      [join(dir, 'missing.yaml'), 'no such file'],
      [dir, 'is a directory'],
      ['relative/config', 'not an absolute path'],
    ] as const) {
      const answer = await api('/api/kubeconfig/files', { body: { path } });
      expect(answer.status, path).toBe(400);
      expect(answer.json.problem, path).toContain(reason);
    }

    const added = await api('/api/kubeconfig/files', { body: { path: good } });
    expect(added.status).toBe(200);
    expect(saved().kubeconfig.files).toEqual([good]);
    expect((await api('/api/clusters')).json.contexts.map((c: { name: string }) => c.name)).toContain('team-dev');
    expect((await api('/api/kubeconfig/files', { body: { path: good } })).json.problem).toContain('already in the settings');

    expect((await api('/api/kubeconfig/files/remove', { body: { path: good } })).status).toBe(200);
    expect(saved().kubeconfig.files).toEqual([]);
    expect((await api('/api/clusters')).json.contexts.map((c: { name: string }) => c.name)).not.toContain('team-dev');
  });

  it('stores a pasted kubeconfig in the 0600 settings and never sends it back', async () => {
    const secret = 'inline-secret-token-xyz';
    const added = await api('/api/kubeconfig/inline', { body: { name: 'pasted', content: INLINE('pasted-ctx', secret) } });
    expect(added.status).toBe(200);
    expect(added.text).not.toContain(secret);
    expect(added.json.inline).toEqual([
      {
        id: 'pasted',
        ok: true,
        contexts: [{ name: 'pasted-ctx', cluster: 'pasted-cluster', server: 'https://10.9.8.7:6443', namespace: 'team-a' }],
        problems: [],
      },
    ]);
    expect(saved().kubeconfig.inline[0].content).toContain(secret);
    expect(statSync(settingsFile()).mode & 0o777).toBe(0o600);
    for (const path of ['/api/kubeconfig', '/api/clusters', '/api/state', '/api/policy', '/api/tunnels']) {
      expect((await api(path)).text, path).not.toContain(secret);
    }
    const context = (await api('/api/clusters')).json.contexts.find((c: { name: string }) => c.name === 'pasted-ctx');
    expect(context).toMatchObject({ source: 'inline:pasted', server: 'https://10.9.8.7:6443' });

    const same = await api('/api/kubeconfig/inline', { body: { name: 'pasted', content: INLINE('other', 'x') } });
    expect(same.json.problems).toEqual([{ field: 'name', reason: expect.stringContaining('exists already') }]);
    const garbage = await api('/api/kubeconfig/inline', { body: { name: 'junk', content: `token: ${secret}\n: : [` } });
    expect(garbage.status).toBe(400);
    expect(garbage.json.problems[0].field).toBe('content');
    expect(garbage.text).not.toContain(secret); // a refusal does not echo what was pasted
    expect((await api('/api/kubeconfig/inline', { body: { name: 'bad name/..', content: 'x' } })).json.problems[0].field).toBe('name');

    expect((await api('/api/kubeconfig/inline/remove', { body: { name: 'pasted' } })).status).toBe(200);
    expect(saved().kubeconfig.inline).toEqual([]);
    expect(readFileSync(settingsFile(), 'utf8')).not.toContain(secret);
  });

  it('Test says why a context cannot be reached, with the time it took', async () => {
    const answer = await api('/api/clusters/test', { body: { context: 'no-such-context' } });
    expect(answer.status).toBe(200);
    expect(answer.json).toMatchObject({ context: 'no-such-context', ok: false, error: expect.stringContaining('does not exist') });
    expect(typeof answer.json.latencyMs).toBe('number');
  });
});

describe('the safety policy', () => {
  it('saves every field at once, refuses a bad one by name with nothing saved, and tells an open session', async () => {
    const port = await freePort();
    await api('/api/mcp/address', { body: { bind: '127.0.0.1', port } });
    expect((await api('/api/mcp/enable', { body: {} })).status).toBe(200);
    const client = new Client({ name: 'policy-watcher', version: '3.1' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${port}/mcp`), {
        requestInit: { headers: { Authorization: `Bearer ${ui.server.tokens.ensure()}` } },
      }),
    );
    let changed = 0;
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
      changed++;
    });
    try {
      const sessions = (await api('/api/sessions')).json.sessions;
      expect(sessions).toEqual([expect.objectContaining({ client: 'policy-watcher', clientVersion: '3.1' })]);
      expect(JSON.stringify(sessions)).not.toContain(ui.server.tokens.fingerprint()!);

      const MUTATIONS = builtInToolNames((safety) => safety === 'safe-mutation');
      const listed = async () => (await client.listTools()).tools.map((t) => t.name);
      expect(await listed()).toEqual(expect.arrayContaining(MUTATIONS));
      await new Promise((resolve) => setTimeout(resolve, 300)); // the notification stream opens after initialize

      const before = readFileSync(settingsFile(), 'utf8');
      for (const [body, field] of [
        [{ maxOutputBytes: 10 }, 'policy.maxOutputBytes'],
        [{ enabledClasses: ['read', 'everything'] }, 'policy.enabledClasses.1'],
        [{ revealSecrets: 'yes' }, 'policy.revealSecrets'],
        [{ allowedChartSources: ['charts.example.com'] }, 'policy.allowedChartSources.0'],
        [{ readOnlyContexts: ['nope'] }, 'policy.readOnlyContexts'],
        [{ destructiveTools: ['scale'] }, 'policy.destructiveTools'],
        [{ maxOutputBytes: 2048, sneaky: true }, 'policy.sneaky'],
      ] as const) {
        const refused = await api('/api/policy', { body });
        expect(refused.status, JSON.stringify(body)).toBe(400);
        expect(
          refused.json.problems.map((p: { field: string }) => p.field),
          JSON.stringify(body),
        ).toContain(field);
      }
      // A request with one good and one bad field saved neither.
      const mixed = await api('/api/policy', { body: { revealSecrets: true, maxOutputBytes: 1 } });
      expect(mixed.status).toBe(400);
      expect(readFileSync(settingsFile(), 'utf8')).toBe(before);
      expect(changed).toBe(0);

      const ok = await api('/api/policy', {
        body: {
          enabledClasses: ['read'],
          readOnlyContexts: ['dev'],
          protectedNamespaces: ['kube-system', 'payments'],
          revealSecrets: true,
          maxOutputBytes: 65536,
          allowedChartSources: ['https://charts.example.com/stable', 'oci://registry.example.com/charts'],
        },
      });
      expect(ok.status).toBe(200);
      expect(saved().policy).toMatchObject({
        enabledClasses: ['read'],
        readOnlyContexts: ['dev'],
        protectedNamespaces: ['kube-system', 'payments'],
        revealSecrets: true,
        maxOutputBytes: 65536,
      });
      expect(await eventually(async () => changed === 1, 5_000, 50)).toBe(true);
      expect((await listed()).filter((n) => MUTATIONS.includes(n))).toEqual([]);
      expect((await api('/api/clusters')).json.contexts.find((c: { name: string }) => c.name === 'dev').readOnly).toBe('listed in policy.readOnlyContexts');

      await api('/api/policy', { body: { enabledClasses: ['read', 'safe-mutation'], readOnlyContexts: [], revealSecrets: false } });
      expect(await eventually(async () => changed === 2, 5_000, 50)).toBe(true);
      expect(await listed()).toEqual(expect.arrayContaining(MUTATIONS));
    } finally {
      await client.close();
      await api('/api/mcp/disable', { body: {} });
    }
  });
});

describe('SSH bastions, against a real sshd', () => {
  let sshd: TestSshd;
  beforeAll(async () => {
    sshd = await startSshd();
  });
  afterAll(async () => {
    await sshd?.stop();
  });
  const form = (knownHostsFile: string) => ({ host: '127.0.0.1', port: sshd.port, user: sshd.user, identityFile: sshd.identityFile, knownHostsFile });

  it('shows an unknown key without logging in, trusts only the fingerprint shown, and then logs in', async () => {
    const knownHosts = join(mkdtempSync(join(tmpdir(), 'kz-ui-kh-')), 'ssh', 'known_hosts');
    const test = await api('/api/tunnels/test', { body: form(knownHosts) });
    expect(test.status).toBe(200);
    expect(test.json.probe).toMatchObject({
      bastion: `${sshd.user}@127.0.0.1:${sshd.port}`,
      login: 'not-tried',
      hostKey: { status: 'unknown', fingerprint: sshd.hostKeyFingerprint, type: 'ssh-ed25519' },
    });

    const wrong = await api('/api/tunnels/trust', { body: { ...form(knownHosts), fingerprint: `SHA256:${'A'.repeat(43)}` } });
    expect(wrong.status).toBe(409);
    expect(wrong.json.problem).toContain('nothing was trusted');
    expect(() => statSync(knownHosts)).toThrow(); // nothing written

    const trusted = await api('/api/tunnels/trust', { body: { ...form(knownHosts), fingerprint: sshd.hostKeyFingerprint } });
    expect(trusted.status).toBe(200);
    expect(readFileSync(knownHosts, 'utf8')).toBe(`${sshd.knownHostsLine}\n`);
    expect(statSync(knownHosts).mode & 0o777).toBe(0o600);
    expect(trusted.json.probe).toMatchObject({ login: 'ok', hostKey: { status: 'known' } });
  });

  it('shows a changed key as a danger and never replaces it', async () => {
    const knownHosts = join(mkdtempSync(join(tmpdir(), 'kz-ui-kh-')), 'known_hosts');
    const impostor = readFileSync(sshd.identityFile + '.pub', 'utf8')
      .split(' ')
      .slice(0, 2)
      .join(' ');
    const line = `[127.0.0.1]:${sshd.port} ${impostor}\n`;
    writeFileSync(knownHosts, line);
    const test = await api('/api/tunnels/test', { body: form(knownHosts) });
    expect(test.json.probe).toMatchObject({ login: 'not-tried', hostKey: { status: 'changed', message: expect.stringContaining('HOST KEY CHANGED') } });
    const trust = await api('/api/tunnels/trust', { body: { ...form(knownHosts), fingerprint: sshd.hostKeyFingerprint } });
    expect(trust.status).toBe(409);
    expect(trust.json.problem).toContain('never replaces a known key');
    expect(readFileSync(knownHosts, 'utf8')).toBe(line);
  });

  it("saves a context's bastion and removes it; bad fields are refused by name", async () => {
    for (const [body, field] of [
      [{ context: 'staging', host: '', user: 'ops' }, 'host'],
      [{ context: 'staging', host: 'b.example', user: 'ops', port: 70000 }, 'port'],
      [{ context: 'staging', host: 'b.example', user: 'a b' }, 'user'],
      [{ context: 'nope', host: 'b.example', user: 'ops' }, 'context'],
    ] as const) {
      expect((await api('/api/tunnels', { body })).json.problems[0].field, JSON.stringify(body)).toBe(field);
    }
    const ok = await api('/api/tunnels', { body: { context: 'dev', ...form('/tmp/kh') } });
    expect(ok.status).toBe(200);
    expect(saved().tunnels.dev).toEqual({ host: '127.0.0.1', port: sshd.port, user: sshd.user, identityFile: sshd.identityFile, knownHostsFile: '/tmp/kh' });
    const dev = (await api('/api/clusters')).json.contexts.find((c: { name: string }) => c.name === 'dev');
    expect(dev.tunnel).toMatchObject({ bastion: `${sshd.user}@127.0.0.1:${sshd.port}`, status: 'idle', via: 'settings' });
    expect((await api('/api/tunnels/remove', { body: { context: 'dev' } })).status).toBe(200);
    expect(saved().tunnels.dev).toBeUndefined();
  });
});

describe('activity', () => {
  it('filters the audit log by tool, context, outcome and text, and exports the same as JSON lines', async () => {
    const audit = ui.server.audit;
    audit.record({ tool: 'scale', context: 'dev', namespace: 'web', target: 'deploy/api', outcome: 'ok', summary: 'replicas 1 → 3' });
    audit.record({ tool: 'apply_yaml', context: 'staging', namespace: 'web', target: 'ConfigMap/flags', outcome: 'refused', summary: 'read-only context' });
    audit.record({ tool: 'scale', context: 'staging', namespace: 'jobs', target: 'deploy/worker', outcome: 'error', summary: 'Forbidden' });
    const targets = async (query: string) => (await api(`/api/audit?${query}`)).json.entries.map((e: { target: string }) => e.target);
    expect(await targets('tool=scale&limit=200')).toEqual(expect.arrayContaining(['deploy/worker', 'deploy/api']));
    expect(await targets('tool=scale&context=staging')).toEqual(['deploy/worker']);
    expect(await targets('outcome=refused')).toEqual(['ConfigMap/flags']);
    expect(await targets('text=FORBID')).toEqual(['deploy/worker']);
    const all = await api('/api/audit');
    expect(all.json.tools).toEqual(expect.arrayContaining(['apply_yaml', 'scale']));
    expect(all.json.contexts).toEqual(expect.arrayContaining(['dev', 'staging']));
    expect((await api('/api/audit?outcome=great')).status).toBe(400);

    const exported = await api('/api/audit/export?context=staging');
    expect(exported.headers.get('content-type')).toContain('application/x-ndjson');
    expect(exported.headers.get('content-disposition')).toMatch(/attachment; filename="kubezilla-audit-\d{4}-\d\d-\d\d\.jsonl"/);
    const lines = exported.text
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((e) => e.target)).toEqual(['ConfigMap/flags', 'deploy/worker']); // oldest first, as in the file
    expect(Object.keys(lines[0])).toEqual(['time', 'session', 'tool', 'context', 'namespace', 'target', 'outcome', 'summary']);
  });

  it('Stop of a forward that is not open says so', async () => {
    const answer = await api('/api/forwards/stop', { body: { id: 'pf-nope' } });
    expect(answer.status).toBe(404);
    expect(answer.json.problem).toContain('No open port forward has the id pf-nope');
    expect((await api('/api/forwards/stop', { body: {} })).json.problems[0].field).toBe('id');
  });
});
