/**
 * helm_install against the real test cluster with the real helm 3 and helm 4 (KUBEZILLA_HELM),
 * through a real MCP client, checked with helm list/status and kubectl: from the fixture repository
 * and from a local chart path, dry runs, refusals, clear errors, cancellation (no helm left
 * running) and the audit log.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testCluster } from '../cluster/context.js';
import { createNamespaces, deleteNamespaces, eventually, startToolEnv, textOf, uniqueName, type ToolEnv } from './helpers.js';
import { chart, h, helmSwitch } from './helm-fixtures.js';

const ns = uniqueName('kz-t-hm');
const created = uniqueName('kz-t-hm');
let env: ToolEnv;
const useHelm = helmSwitch(() => env.info);

/** Process ids whose command line holds `text` (helm runs in its own process group). */
function processesWith(text: string): string[] {
  try {
    return execFileSync('pgrep', ['-f', text], { encoding: 'utf8' }).split('\n').filter(Boolean);
  } catch {
    return [];
  }
}

/** A chart whose pods can never be scheduled, so `--wait` never ends on its own. */
function neverReadyChart(): string {
  const dir = mkdtempSync(join(tmpdir(), 'kz-never-ready-'));
  mkdirSync(join(dir, 'templates'));
  writeFileSync(join(dir, 'Chart.yaml'), 'apiVersion: v2\nname: kz-never-ready\nversion: 1.0.0\n');
  writeFileSync(
    join(dir, 'templates', 'deploy.yaml'),
    `apiVersion: apps/v1
kind: Deployment
metadata: {name: {{ .Release.Name }}-stuck}
spec:
  replicas: 1
  selector: {matchLabels: {app: {{ .Release.Name }}-stuck}}
  template:
    metadata: {labels: {app: {{ .Release.Name }}-stuck}}
    spec:
      nodeSelector: {kubezilla.dev/no-such-node: "true"}
      containers: [{name: c, image: registry.k8s.io/pause:3.10}]
`,
  );
  return dir;
}

describe('helm_install', () => {
  beforeAll(async () => {
    env = await startToolEnv();
    await createNamespaces(env.info, ns);
  });
  afterAll(async () => {
    if (env) {
      await deleteNamespaces(env.info, ns, created);
      await env.close();
    }
  });

  for (const major of [3, 4] as const) {
    it(`installs from the fixture repository with helm ${major}; helm list and status agree`, async () => {
      useHelm(major);
      const release = `repo${major}`;
      const text = await env.call('helm_install', { release, chart: 'kz-demo', repo: env.info.charts.repoUrl, version: '0.1.0', namespace: ns });
      expect(text).toContain(`Installed ${release} (helm v${major}.`);
      expect(text).toContain('revision: 1\nstatus: deployed\nchart: kz-demo-0.1.0');
      const list = JSON.parse(await h(env.info, major, ['list', '-n', ns, '-o', 'json', '--filter', `^${release}$`])) as Array<Record<string, unknown>>;
      expect(list).toMatchObject([{ name: release, namespace: ns, revision: '1', status: 'deployed', chart: 'kz-demo-0.1.0' }]);
      const status = JSON.parse(await h(env.info, major, ['status', release, '-n', ns, '-o', 'json'])) as { info: { status: string }; version: number };
      expect(status).toMatchObject({ info: { status: 'deployed' }, version: 1 });
      expect(await env.kubectl(['get', 'deploy', `${release}-kz-demo`, '-n', ns, '-o', 'jsonpath={.spec.replicas}'])).toBe('2');
    });

    it(`installs a local chart path with values with helm ${major}`, async () => {
      useHelm(major);
      const release = `local${major}`;
      const text = await env.call('helm_install', {
        release,
        chart: chart(env.info, '0.2.0'),
        namespace: ns,
        values: 'replicaCount: 1\ngreeting: "local values"\n',
      });
      expect(text).toContain('revision: 1\nstatus: deployed\nchart: kz-demo-0.2.0');
      expect(await env.kubectl(['get', 'deploy', `${release}-kz-demo`, '-n', ns, '-o', 'jsonpath={.spec.replicas}'])).toBe('1');
      expect(await env.kubectl(['get', 'cm', `${release}-kz-demo`, '-n', ns, '-o', 'jsonpath={.data.greeting}'])).toBe('local values');
      const values = JSON.parse(await h(env.info, major, ['get', 'values', release, '-n', ns, '-o', 'json'])) as Record<string, unknown>;
      expect(values).toEqual({ replicaCount: 1, greeting: 'local values' });
    });
  }

  for (const major of [3, 4] as const) {
    it(`streams helm ${major}'s steps as progress while it waits, without values or the kubeconfig`, async () => {
      useHelm(major);
      const release = `wait${major}`;
      const messages: string[] = [];
      const result = await env.client.callTool(
        {
          name: 'helm_install',
          arguments: { release, chart: chart(env.info, '0.1.0'), namespace: ns, wait: true, timeoutSeconds: 60, values: 'greeting: s3cr3t-greeting\n' },
        },
        undefined,
        { timeout: 90_000, onprogress: (p) => void (p.message && messages.push(p.message)) },
      );
      expect(result.isError).toBeFalsy();
      expect(textOf(result)).toContain('Its resources are ready (--wait).');
      expect(
        messages.some((m) => /creating (3 )?resource\(s\)/.test(m)),
        messages.join('\n'),
      ).toBe(true);
      for (const m of messages) {
        expect(m).not.toContain('s3cr3t');
        expect(m).not.toMatch(/kubezilla-kubeconfig|\[debug\]|level=DEBUG/);
      }
      expect(await env.kubectl(['get', 'cm', `${release}-kz-demo`, '-n', ns, '-o', 'jsonpath={.data.greeting}'])).toBe('s3cr3t-greeting');
    });
  }

  it('creates the namespace when asked, and dry-runs without changing anything', async () => {
    useHelm(4);
    const dry = await env.call('helm_install', { release: 'dry', chart: chart(env.info, '0.1.0'), namespace: ns, dryRun: true });
    expect(dry).toContain('nothing changed');
    expect(dry).toContain('- Deployment/dry-kz-demo');
    expect(dry).toContain('- ConfigMap/dry-kz-demo');
    expect(dry).toContain('- Service/dry-kz-demo');
    expect(await h(env.info, 4, ['list', '-n', ns, '-q', '--filter', '^dry$'])).toBe('');
    useHelm(3);
    const text = await env.call('helm_install', { release: 'fresh', chart: chart(env.info, '0.1.0'), namespace: created, createNamespace: true });
    expect(text).toContain(`namespace: ${created}`);
    expect(await env.kubectl(['get', 'namespace', created, '-o', 'name'])).toContain(created);
  });

  it('refuses a release that exists, and explains a bad chart and bad values', async () => {
    useHelm(4);
    const again = await env.callRaw('helm_install', { release: 'repo4', chart: chart(env.info, '0.2.0'), namespace: ns });
    expect(again.isError).toBe(true);
    expect(again.text).toContain(`Helm release "repo4" already exists in namespace "${ns}"`);
    expect(again.text).toContain('helm_upgrade');
    const missing = await env.callRaw('helm_install', { release: 'nochart', chart: 'no-such-chart', repo: env.info.charts.repoUrl, namespace: ns });
    expect(missing.isError).toBe(true);
    expect(missing.text).toMatch(/helm failed \(install nochart in namespace .*\):\nINSTALLATION FAILED: chart "no-such-chart" not found/);
    expect(missing.text).not.toContain('kubeconfig');
    const path = await env.callRaw('helm_install', { release: 'nopath', chart: '/no/such/chart', namespace: ns });
    expect(path.text).toContain('path "/no/such/chart" not found');
    const badValues = await env.callRaw('helm_install', { release: 'badvals', chart: chart(env.info, '0.1.0'), namespace: ns, values: 'a: [1,\n' });
    expect(badValues.text).toContain('values is not valid YAML');
    const flag = await env.callRaw('helm_install', { release: 'flag', chart: '--post-renderer=/bin/sh', namespace: ns });
    expect(flag.text).toContain('start with "-"');
  });

  it.skipIf(testCluster().external)('runs helm through the SSH tunnel for a context behind a bastion', async () => {
    useHelm(4);
    const text = await env.call('helm_install', { release: 'tunnel', chart: chart(env.info, '0.1.0'), namespace: ns, context: env.info.contexts.ssh });
    expect(text).toContain(`namespace: ${ns} (context ${env.info.contexts.ssh})`);
    expect(text).toContain('status: deployed');
    expect(JSON.parse(await h(env.info, 4, ['status', 'tunnel', '-n', ns, '-o', 'json']))).toMatchObject({ version: 1, info: { status: 'deployed' } });
  });

  it('asks before installing into a protected namespace, and installs nothing without a yes', async () => {
    useHelm(4);
    const r = await env.callRaw('helm_install', { release: 'prot', chart: chart(env.info, '0.1.0'), namespace: 'kube-public' });
    expect(r.isError).toBe(true);
    expect(r.text).toContain('Needs confirmation');
    expect(await h(env.info, 4, ['list', '-n', 'kube-public', '-q', '--filter', '^prot$'])).toBe('');
  });

  it('says clearly when helm is missing', async () => {
    process.env.KUBEZILLA_HELM = '/nonexistent/bin/helm';
    const r = await env.callRaw('helm_install', { release: 'nohelm', chart: chart(env.info, '0.1.0'), namespace: ns });
    expect(r.isError).toBe(true);
    expect(r.text).toContain('helm is not installed');
    expect(r.text).toContain('install helm 3 or 4');
    expect(r.text).toContain('KUBEZILLA_HELM');
  });

  for (const major of [3, 4] as const) {
    it(`kills helm ${major} when the call is cancelled`, async () => {
      useHelm(major);
      const release = `stuck${major}`;
      const controller = new AbortController();
      const call = env.client
        .callTool({ name: 'helm_install', arguments: { release, chart: neverReadyChart(), namespace: ns, wait: true, timeoutSeconds: 600 } }, undefined, {
          signal: controller.signal,
          timeout: 60_000,
        })
        .catch((err: unknown) => err);
      expect(await eventually(async () => processesWith(`install ${release} `).length > 0, 20_000, 200)).toBe(true);
      await new Promise((r) => setTimeout(r, 1_000));
      controller.abort();
      expect(await call).toBeInstanceOf(Error);
      expect(await eventually(async () => processesWith(`install ${release} `).length === 0, 15_000, 200)).toBe(true);
    });
  }

  it('records the calls in the audit log with the release as target', async () => {
    const audit = env.server.server.audit.recent(200).filter((e) => e.tool === 'helm_install');
    expect(audit.find((e) => e.target === 'repo4' && e.outcome === 'ok' && e.namespace === ns && e.summary.startsWith('Installed repo4'))).toBeTruthy();
    expect(audit.find((e) => e.target === 'nochart' && e.outcome === 'error')).toBeTruthy();
    expect(
      audit.find(
        (e) =>
          e.target === 'stuck4' && e.outcome === 'cancelled' && e.summary.startsWith('Error: Cancelled: helm was stopped before it finished (install stuck4'),
      ),
    ).toBeTruthy();
    for (const e of audit) expect(JSON.stringify(e)).not.toMatch(/local values|s3cr3t/);
  });
});
