/**
 * The Helm chart against the real local cluster: `helm lint`, the rendered manifests accepted by
 * the API server's server-side dry run (with every optional part on), an install, and then the
 * server run as the chart's pod runs it (the Deployment's own args and init script, a token
 * minted for the chart's ServiceAccount through TokenRequest, KUBERNETES_SERVICE_HOST/PORT),
 * which proves the chart's ClusterRole is enough (discovery, impersonation) and no more (the
 * ServiceAccount alone reads no Secret, lists no namespace, writes nothing), and that a rotated
 * token file is used without a restart.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { helm, kubectl, runTool, testCluster } from '../cluster/context.js';
import { connectClient, textOf } from '../helpers/server.js';
import { CHART, find, parseManifests, REPO, renderChart, replaceFile, serviceAccountDir, startAsPod, type Manifest, type PodProcess } from './chart-pod.js';

const cluster = testCluster();
const NS = 'kz-team-chart';
const RELEASE = 'kz';
const SA = `${RELEASE}-kubezilla-mcp`;
const api = cluster.apiServer!;

async function ok(run: Promise<{ code: number | null; stdout: string; stderr: string }>): Promise<string> {
  const result = await run;
  if (result.code !== 0) throw new Error(`failed (${result.code}): ${result.stderr}`);
  return result.stdout;
}

/** A token for the chart's ServiceAccount, as the kubelet gets one (TokenRequest), optionally bound to a Secret. */
async function mintToken(boundSecret?: string): Promise<string> {
  const bound = boundSecret ? ['--bound-object-kind', 'Secret', '--bound-object-name', boundSecret] : [];
  return (await ok(kubectl(cluster, ['-n', NS, 'create', 'token', SA, '--duration', '10m', ...bound]))).trim();
}

/** kubectl with nothing but a bearer token: what the ServiceAccount itself may do. */
function asToken(token: string, args: string[]) {
  return runTool(cluster.tools.kubectl, ['--server', api.url, '--certificate-authority', api.caFile, '--token', token, '--kubeconfig', '/dev/null', ...args]);
}

/** Waits (a condition, not a time) until the API server answers `token` with 401. */
async function untilRejected(token: string): Promise<void> {
  for (let i = 0; i < 120; i++) {
    const run = await asToken(token, ['get', '--raw', '/api']);
    if (run.code !== 0 && /Unauthorized/i.test(run.stderr)) return;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error('the API server still accepts a token whose bound object was deleted');
}

let installed: Manifest[];

beforeAll(async () => {
  // A namespace an earlier run left Terminating must be gone before it is made again.
  await kubectl(cluster, ['delete', 'namespace', NS, '--ignore-not-found', '--wait=true'], { timeoutMs: 120_000 });
  await ok(kubectl(cluster, ['create', 'namespace', NS]));
  await helm(cluster, 4, ['uninstall', RELEASE, '-n', NS, '--wait']);
  await ok(helm(cluster, 4, ['install', RELEASE, CHART, '-n', NS, '--set', 'networkPolicy.enabled=true'], { timeoutMs: 120_000 }));
  installed = parseManifests(await ok(helm(cluster, 4, ['get', 'manifest', RELEASE, '-n', NS])));
}, 180_000);

afterAll(async () => {
  await helm(cluster, 4, ['uninstall', RELEASE, '-n', NS, '--wait'], { timeoutMs: 120_000 });
  await kubectl(cluster, ['delete', 'namespace', NS, '--wait=false']);
});

describe('the chart', () => {
  it('passes helm lint, with defaults and with every optional part on', async () => {
    const lint = await runTool(cluster.tools.helm4, ['lint', CHART, '--strict']);
    expect(lint.code, lint.stdout + lint.stderr).toBe(0);
    const full = await runTool(cluster.tools.helm4, [
      'lint',
      CHART,
      '--strict',
      ...['--set', 'ingress.enabled=true', '--set', 'ingress.hosts[0]=kubezilla.example.com', '--set', 'auth.oauth.issuer=https://login.example.com'],
      ...['--set', 'auth.oauth.resourceUrl=https://kubezilla.example.com/mcp', '--set', 'extraKubeconfigs[0].secret=prod-kubeconfig'],
    ]);
    expect(full.code, full.stdout + full.stderr).toBe(0);
  });

  it('renders manifests the API server accepts in a server-side dry run', async () => {
    const sets = [
      'ingress.enabled=true',
      'ingress.hosts[0]=kubezilla.example.com',
      'ingress.tls[0].secretName=kubezilla-tls',
      'ingress.tls[0].hosts[0]=kubezilla.example.com',
      'extraKubeconfigs[0].secret=prod-kubeconfig',
      'auth.oauth.issuer=https://login.example.com',
      'auth.oauth.resourceUrl=https://kubezilla.example.com/mcp',
      'auth.oauth.caSecret=issuer-ca',
      'rbac.impersonateGroups[0]=oidc:platform',
    ];
    for (const variant of [[], sets]) {
      const text = await ok(runTool(cluster.tools.helm4, ['template', 'dry', CHART, '--namespace', NS, ...variant.flatMap((s) => ['--set', s])]));
      const dry = await kubectl(cluster, ['apply', '--dry-run=server', '-n', NS, '-f', '-'], { input: text });
      expect(dry.code, dry.stderr).toBe(0);
      const kinds = parseManifests(text).map((m) => m.kind);
      expect(kinds).toEqual(
        expect.arrayContaining([
          'Deployment',
          'ServiceAccount',
          'ClusterRole',
          'ClusterRoleBinding',
          'Service',
          'NetworkPolicy',
          'PodDisruptionBudget',
          'ConfigMap',
        ]),
      );
      if (variant.length) {
        expect(kinds).toContain('Ingress');
        const rules = find(parseManifests(text), 'ClusterRole').rules as Manifest[];
        expect(rules.find((r) => r.resources?.includes('groups'))).toMatchObject({ verbs: ['impersonate'], resourceNames: ['oidc:platform'] });
      }
    }
  });

  it('runs non-root on a read-only root filesystem, with requests and probes', async () => {
    const deployment = find(installed, 'Deployment');
    const pod = deployment.spec.template.spec;
    const [container] = pod.containers as Manifest[];
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 10001 });
    for (const c of [container!, ...(pod.initContainers as Manifest[])]) {
      expect(c.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
    }
    expect(container!.resources.requests).toMatchObject({ cpu: expect.any(String), memory: expect.any(String) });
    expect(container!.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'mcp' });
    expect(container!.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'mcp' });
    expect(container!.args).toEqual(expect.arrayContaining(['serve', '--in-cluster', '--stateless', '--audit-stdout']));
    // No kubeconfig: the pod's own cluster is reached in-cluster.
    expect((container!.args as string[]).some((a) => a.startsWith('--kubeconfig'))).toBe(false);
    // The Ingress never routes /metrics.
    const withIngress = await renderChart(cluster.tools.helm4, RELEASE, NS, ['ingress.enabled=true', 'ingress.hosts[0]=kz.example.com']);
    const paths = find(withIngress, 'Ingress').spec.rules[0].http.paths.map((p: Manifest) => p.path);
    expect(paths).toEqual(['/mcp', '/.well-known/']);
  });

  it('refuses values that cannot work, saying which', async () => {
    const noUrl = await runTool(cluster.tools.helm4, ['template', 'x', CHART, '--set', 'auth.oauth.issuer=https://login.example.com']);
    expect(noUrl.code).not.toBe(0);
    expect(noUrl.stderr).toContain('auth.oauth.resourceUrl is required');
    const stateful = await runTool(cluster.tools.helm4, ['template', 'x', CHART, '--set', 'mcp.stateless=false']);
    expect(stateful.stderr).toContain('replicaCount > 1 needs mcp.stateless: true');
  });

  it('installs: its pods run on the test cluster and its Secrets are made once', async () => {
    const pods = await ok(kubectl(cluster, ['-n', NS, 'wait', '--for=condition=Available', `deployment/${SA}`, '--timeout=90s']));
    expect(pods).toContain('condition met');
    const token = Buffer.from(
      (await ok(kubectl(cluster, ['-n', NS, 'get', 'secret', `${SA}-token`, '-o', 'jsonpath={.data.token}']))).trim(),
      'base64',
    ).toString();
    expect(token).toMatch(/^kz_[A-Za-z0-9]{43}$/);
    await ok(helm(cluster, 4, ['upgrade', RELEASE, CHART, '-n', NS], { timeoutMs: 120_000 }));
    const after = Buffer.from(
      (await ok(kubectl(cluster, ['-n', NS, 'get', 'secret', `${SA}-token`, '-o', 'jsonpath={.data.token}']))).trim(),
      'base64',
    ).toString();
    expect(after).toBe(token);
  });
});

describe("the chart's ServiceAccount", () => {
  const who = `system:serviceaccount:${NS}:${SA}`;
  const can = async (...args: string[]) => (await kubectl(cluster, ['auth', 'can-i', ...args, '--as', who])).stdout.trim();

  it('may impersonate people and read discovery, and nothing else', async () => {
    expect(await can('impersonate', 'users')).toBe('yes');
    expect(await can('impersonate', 'groups')).toBe('yes');
    expect(await can('get', '/apis')).toBe('yes');
    expect(await can('get', '/api/v1')).toBe('yes');
    expect(await can('impersonate', 'serviceaccounts')).toBe('no');
    expect(await can('list', 'secrets', '-A')).toBe('no');
    expect(await can('get', 'secrets', '-n', NS)).toBe('no');
    expect(await can('list', 'pods', '-A')).toBe('no');
    expect(await can('create', 'deployments', '-n', 'default')).toBe('no');
    expect(await can('escalate', 'clusterroles')).toBe('no');
    expect(await can('create', 'serviceaccounts/token', '-n', NS)).toBe('no');
  });

  it('really acts as another user with a minted token (the impersonation the server does)', async () => {
    const token = await mintToken();
    const alone = await asToken(token, ['get', 'secrets', '-n', NS]);
    expect(alone.stderr).toContain(`User "${who}" cannot list resource "secrets"`);
    const asAlice = await asToken(token, ['get', 'pods', '-n', 'default', '--as', 'oidc:alice', '--as-group', 'oidc:dev']);
    expect(asAlice.stderr).toContain('User "oidc:alice" cannot list resource "pods"');
    const asAdmin = await asToken(token, ['get', 'namespaces', '--as', 'kz-test-admin', '--as-group', 'system:masters']);
    expect(asAdmin.code, asAdmin.stderr).toBe(0);
  });
});

describe('the server, run as the chart pod runs it', () => {
  let pod: PodProcess;
  let clientToken: string;
  const boundTo = 'kz-team-token-a';

  beforeAll(async () => {
    await kubectl(cluster, ['-n', NS, 'create', 'secret', 'generic', boundTo]);
    const secretData = async (name: string) => {
      const secret = parse(await ok(kubectl(cluster, ['-n', NS, 'get', 'secret', name, '-o', 'yaml']))) as { data: Record<string, string> };
      return Object.fromEntries(Object.entries(secret.data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]));
    };
    const secrets = { [`${SA}-token`]: await secretData(`${SA}-token`), [`${SA}-confirmation-key`]: await secretData(`${SA}-confirmation-key`) };
    clientToken = secrets[`${SA}-token`]!.token!;
    pod = await startAsPod(
      installed,
      {
        serviceAccount: { token: await mintToken(boundTo), caCrt: readFileSync(api.caFile, 'utf8'), namespace: NS },
        secrets,
        apiServer: { host: '127.0.0.1', port: api.port },
      },
      'chart',
    );
  }, 60_000);

  afterAll(async () => {
    await pod?.stop();
  });

  it('is ready and offers the in-cluster context as the current one', async () => {
    expect((await fetch(new URL('/readyz', pod.url))).status).toBe(200);
    const { client } = await connectClient(pod.url, clientToken);
    try {
      const contexts = textOf(await client.callTool({ name: 'list_contexts', arguments: {} }));
      expect(contexts).toMatch(/^\*\s+in-cluster\b/m);
      const kinds = await client.callTool({ name: 'list_kinds', arguments: {} });
      expect(kinds.isError, textOf(kinds)).toBeFalsy();
      expect(textOf(kinds)).toContain('deployments');
    } finally {
      await client.close();
    }
  });

  it('reads nothing with the ServiceAccount alone: its Secrets and namespaces are forbidden', async () => {
    const { client } = await connectClient(pod.url, clientToken);
    try {
      const secrets = await client.callTool({ name: 'list_resources', arguments: { kind: 'secrets', namespace: NS } });
      expect(secrets.isError).toBe(true);
      expect(textOf(secrets)).toMatch(/forbidden|cannot list/i);
      const namespaces = await client.callTool({ name: 'list_namespaces', arguments: {} });
      expect(namespaces.isError).toBe(true);
    } finally {
      await client.close();
    }
  });

  it('uses a rotated token file without a restart', async () => {
    const { client } = await connectClient(pod.url, clientToken);
    const pods = () => client.callTool({ name: 'list_resources', arguments: { kind: 'pods', namespace: NS } });
    try {
      expect(textOf(await pods())).toMatch(/forbidden|cannot list/i); // the first token works (it is judged, not rejected)
      await ok(kubectl(cluster, ['-n', NS, 'delete', 'secret', boundTo])); // the object it is bound to goes: the token is void
      await untilRejected(readFileSync(join(serviceAccountDir(pod), 'token'), 'utf8')); // once the API server's token cache lets go of it
      const dead = textOf(await pods());
      expect(dead).toMatch(/401|unauthori[sz]ed|credentials/i);
      replaceFile(join(serviceAccountDir(pod), 'token'), await mintToken()); // the kubelet's rotation
      const rotated = textOf(await pods());
      expect(rotated).toMatch(/forbidden|cannot list/i);
      expect(rotated).not.toMatch(/401|unauthori[sz]ed/i);
    } finally {
      await client.close();
    }
  });

  it('writes no token to its output', () => {
    expect(pod.output()).not.toContain(clientToken);
    expect(pod.output()).not.toContain(readFileSync(join(serviceAccountDir(pod), 'token'), 'utf8').trim());
  });
});

it('the Dockerfile copies what the build makes and starts the bin the chart passes its args to', () => {
  // No Docker engine or registry here (see README, "For a team"): what can be checked without one is.
  const dockerfile = readFileSync(join(REPO, 'Dockerfile'), 'utf8');
  const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { bin: Record<string, string> };
  expect(dockerfile).toContain(`ENTRYPOINT ["node", "/app/${pkg.bin['kubezilla-mcp']}"]`);
  expect(dockerfile).toMatch(/^USER 10001:10001$/m);
  expect(find(installed, 'Deployment').spec.template.spec.securityContext).toMatchObject({ runAsUser: 10001, runAsGroup: 10001 });
  // Every file the build stage copies from the repository exists, and every path the runtime copies
  // out of the build exists after `npm run build` (the tests run the built program).
  const copies = [...dockerfile.matchAll(/^COPY (--from=(\w+) )?(.+) \S+$/gm)];
  expect(copies.length).toBeGreaterThan(5);
  for (const [, , stage, sources] of copies) {
    for (const source of sources!.split(' ')) {
      if (stage === 'helm') continue; // downloaded in its own stage
      const path = stage === 'build' ? source.replace(/^\/src\//, '') : source;
      expect(existsSync(join(REPO, path)), `${path} (COPY ${stage ?? 'context'})`).toBe(true);
    }
  }
  expect(existsSync(join(REPO, 'dist', 'kubezilla-mcp.bundle.js'))).toBe(true);
});
