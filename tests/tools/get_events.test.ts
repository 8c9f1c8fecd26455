/**
 * get_events against the real test cluster through a real MCP client, checked against what
 * kubectl get events reports for the same namespace, object and type.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testCluster } from '../cluster/context.js';
import { apply, createNamespaces, deleteNamespaces, eventually, startToolEnv, uniqueName, type ToolEnv } from './helpers.js';

const ns = uniqueName('kz-t-events');
let env: ToolEnv;
/** An external cluster (KUBEZILLA_TEST_KUBECONFIG) has no restricted user and no bastion. */
const external = testCluster().external;

interface Ev {
  object: string;
  reason: string;
  type: string;
  message: string;
  uid: string;
}

async function kubectlEvents(extra: string[] = []): Promise<Ev[]> {
  const json = JSON.parse(await env.kubectl(['-n', ns, 'get', 'events', '-o', 'json', ...extra])) as { items: Array<Record<string, any>> };
  return json.items.map((e) => ({
    object: `${String(e.involvedObject.kind).toLowerCase()}/${e.involvedObject.name}`,
    reason: e.reason,
    type: e.type,
    message: String(e.message ?? '')
      .replace(/\s+/g, ' ')
      .trim(),
    uid: e.metadata.uid,
  }));
}

/** Rows of the tool's table as {lastSeen, object, reason, type, message}. */
function toolRows(
  text: string,
  namespaceColumn = false,
): Array<{ namespace?: string; lastSeen: string; object: string; reason: string; type: string; message: string }> {
  const lines = text.split('\n');
  const header = lines.findIndex((l) => /^(NAMESPACE\s+)?LAST SEEN\s+TYPE\s+REASON\s+OBJECT\s+MESSAGE$/.test(l));
  if (header === -1) return [];
  const body = lines.slice(header + 1);
  const end = body.findIndex((l) => l.trim() === '');
  return (end === -1 ? body : body.slice(0, end)).map((l) => {
    const cells = l.split(/\s{2,}/);
    const off = namespaceColumn ? 1 : 0;
    return {
      ...(namespaceColumn ? { namespace: cells[0] } : {}),
      lastSeen: cells[off]!,
      type: cells[off + 1]!,
      reason: cells[off + 2]!,
      object: cells[off + 3]!,
      message: cells.slice(off + 4).join('  '),
    };
  });
}

const key = (e: { object: string; reason: string; type: string }) => `${e.type} ${e.reason} ${e.object}`;
const sorted = (xs: Array<{ object: string; reason: string; type: string }>) => xs.map(key).sort();

beforeAll(async () => {
  env = await startToolEnv();
  await createNamespaces(env.info, ns);
  await apply(
    env.info,
    `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: ${ns}}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: app, image: nginx}]}
---
apiVersion: v1
kind: Pod
metadata: {name: stuck, namespace: ${ns}}
spec:
  nodeSelector: {kz-test: no-such-node}
  containers: [{name: app, image: busybox}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: cfg, namespace: ${ns}}
data: {a: b}
`,
  );
  const ok = await eventually(async () => {
    const evs = await kubectlEvents();
    const reasons = evs.map((e) => e.reason);
    return (
      reasons.includes('ScalingReplicaSet') &&
      reasons.filter((r) => r === 'SuccessfulCreate').length >= 2 &&
      reasons.filter((r) => r === 'Scheduled').length >= 2 &&
      reasons.includes('FailedScheduling')
    );
  }, 60_000);
  expect(ok, 'the expected events did not appear').toBe(true);
}, 120_000);

afterAll(async () => {
  await env?.close();
  if (env) await deleteNamespaces(env.info, ns);
});

describe('get_events', () => {
  it("lists a namespace's events like kubectl get events, newest last", async () => {
    const want = await kubectlEvents();
    const text = await env.call('get_events', { namespace: ns });
    expect(text.split('\n')[0]).toBe(`Events in namespace "${ns}": ${want.length}, newest last`);
    const rows = toolRows(text);
    expect(sorted(rows)).toEqual(sorted(want));
    const stuck = rows.find((r) => r.reason === 'FailedScheduling')!;
    expect(stuck).toMatchObject({ type: 'Warning', object: 'pod/stuck' });
    // LAST SEEN is an age, as kubectl prints it; once the scheduler has repeated itself, "(xN over AGE)" trails the message.
    expect(stuck.lastSeen).toMatch(/^\d+[smhd]\w*$/);
    const [, message, repeats] = /^(.*?)(?: \(x(\d+) over \d+[smhd]\w*\))?$/.exec(stuck.message)!;
    expect(want.find((e) => e.reason === 'FailedScheduling')!.message).toContain(message!.replace(/…$/, ''));
    // The count it says is the event's own (read afterwards, the scheduler may have repeated itself since).
    const after = JSON.parse(await env.kubectl(['-n', ns, 'get', 'events', '--field-selector', 'reason=FailedScheduling', '-o', 'json'])).items[0];
    expect(Number(repeats ?? 1)).toBeLessThanOrEqual(after.series?.count ?? after.count ?? 1);
  });

  it('object deploy/web includes its ReplicaSets and pods, not other objects', async () => {
    const pods = (await env.kubectl(['-n', ns, 'get', 'pods', '-l', 'app=web', '-o', 'jsonpath={.items[*].metadata.name}'])).trim().split(' ');
    const rs = (await env.kubectl(['-n', ns, 'get', 'rs', '-l', 'app=web', '-o', 'jsonpath={.items[*].metadata.name}'])).trim().split(' ');
    const mine = new Set(['deployment/web', ...pods.map((p) => `pod/${p}`), ...rs.map((r) => `replicaset/${r}`)]);
    const want = (await kubectlEvents()).filter((e) => mine.has(e.object));
    const text = await env.call('get_events', { namespace: ns, object: 'deploy/web' });
    expect(text.split('\n')[0]).toMatch(/^Events of deployment\/web and its ReplicaSets and pods in namespace/);
    const rows = toolRows(text);
    expect(sorted(rows)).toEqual(sorted(want));
    expect(rows.some((r) => r.object === 'deployment/web' && r.reason === 'ScalingReplicaSet')).toBe(true);
    expect(rows.filter((r) => r.object.startsWith('pod/web-') && r.reason === 'Scheduled')).toHaveLength(2);
    expect(rows.some((r) => r.object === 'pod/stuck')).toBe(false);
  });

  it('type Warning and a single object, as kubectl field selectors', async () => {
    const warnings = await kubectlEvents(['--field-selector', 'type=Warning']);
    const text = await env.call('get_events', { namespace: ns, type: 'Warning' });
    expect(sorted(toolRows(text))).toEqual(sorted(warnings));
    expect(toolRows(text).every((r) => r.type === 'Warning')).toBe(true);
    expect(sorted(toolRows(await env.call('get_events', { namespace: ns, type: 'warning' })))).toEqual(sorted(warnings));
    const badType = await env.callRaw('get_events', { namespace: ns, type: 'Warning,reason=x' });
    expect(badType.isError).toBe(true);
    expect(badType.text).toMatch(/type: "Warning,reason=x" is not an event type/);
    const one = await env.call('get_events', { namespace: ns, object: 'pod/stuck' });
    expect(sorted(toolRows(one))).toEqual(sorted(await kubectlEvents(['--field-selector', 'involvedObject.name=stuck'])));
    const none = await env.call('get_events', { namespace: ns, object: 'configmap/cfg' });
    expect(none).toMatch(/^Events of configmap\/cfg in namespace "[^"]+": none\./);
  });

  it('sinceSeconds keeps only recent events', async () => {
    // Event times have whole seconds: start the new events at least three seconds after the newest
    // old one (usually long past by now, so this rarely waits).
    const older = JSON.parse(await env.kubectl(['-n', ns, 'get', 'events', '-o', 'json'])) as { items: Array<Record<string, any>> };
    const newest = Math.max(0, ...older.items.map((e) => Date.parse(e.lastTimestamp ?? e.eventTime ?? e.metadata.creationTimestamp) || 0));
    const wait = newest + 3000 - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const t0 = Date.now();
    await env.kubectl(['-n', ns, 'scale', 'deploy/web', '--replicas=3']);
    const ok = await eventually(async () => (await kubectlEvents()).some((e) => e.reason === 'ScalingReplicaSet' && /from 2 to 3/.test(e.message)), 30_000);
    expect(ok).toBe(true);
    await eventually(async () => (await kubectlEvents()).filter((e) => e.reason === 'Scheduled').length >= 3, 30_000);
    const since = Math.ceil((Date.now() - t0) / 1000) + 1;
    const text = await env.call('get_events', { namespace: ns, object: 'deploy/web', sinceSeconds: since });
    const rows = toolRows(text);
    expect(rows.some((r) => r.reason === 'ScalingReplicaSet' && /from 2 to 3/.test(r.message))).toBe(true);
    expect(rows.some((r) => r.reason === 'ScalingReplicaSet' && /from 0 to 2/.test(r.message))).toBe(false);
    expect(rows.filter((r) => r.reason === 'Scheduled')).toHaveLength(1);
    const all = toolRows(await env.call('get_events', { namespace: ns, object: 'deploy/web', sinceSeconds: 86_400 }));
    expect(all.length).toBeGreaterThan(rows.length);
  });

  it("a workload's events include pods that are already gone", async () => {
    const victim = (await env.kubectl(['-n', ns, 'get', 'pods', '-l', 'app=web', '-o', 'jsonpath={.items[0].metadata.name}'])).trim();
    await env.kubectl(['-n', ns, 'delete', 'pod', victim, '--wait=true']);
    const gone = await eventually(async () => (await env.kubectl(['-n', ns, 'get', 'pod', victim], { allowFail: true })).includes('NotFound'), 30_000);
    expect(gone).toBe(true);
    const want = (await kubectlEvents()).filter((e) => e.object === `pod/${victim}`);
    expect(want.length).toBeGreaterThan(0);
    const rows = toolRows(await env.call('get_events', { namespace: ns, object: 'deploy/web' }));
    expect(sorted(rows.filter((r) => r.object === `pod/${victim}`))).toEqual(sorted(want));
  });

  it("a node's events, as kubectl reports them for the node", async () => {
    const node = env.info.nodes[0]!;
    const want = JSON.parse(
      await env.kubectl(['get', 'events', '-A', '--field-selector', `involvedObject.kind=Node,involvedObject.name=${node}`, '-o', 'json']),
    ).items as Array<Record<string, any>>;
    const text = await env.call('get_events', { object: `node/${node}` });
    expect(text.split('\n')[0]).toMatch(new RegExp(`^Events of node/${node} in all namespaces: ${want.length}, newest last`));
    const rows = toolRows(text, true);
    expect(rows.map((r) => `${r.reason} ${r.object}`).sort()).toEqual(want.map((e) => `${e.reason} node/${node}`).sort());
    expect(rows.some((r) => r.reason === 'RegisteredNode')).toBe(true);
  });

  it('all namespaces adds a NAMESPACE column', async () => {
    const text = await env.call('get_events', { allNamespaces: true, type: 'Warning' });
    expect(text.split('\n')[0]).toMatch(/^Events in all namespaces \(type Warning\)/);
    const rows = toolRows(text, true);
    expect(rows.some((r) => r.namespace === ns && r.object === 'pod/stuck')).toBe(true);
  });

  it('limit and the output budget keep the newest events and say so', async () => {
    const two = await env.call('get_events', { namespace: ns, limit: 2 });
    expect(toolRows(two)).toHaveLength(2);
    const m = /\[left out the (\d+) oldest of (\d+) events; narrow with type, sinceSeconds or object\]/.exec(two);
    expect(m).not.toBeNull();
    expect(Number(m![1])).toBe(Number(m![2]) - 2);
    expect(Number(m![2])).toBeGreaterThanOrEqual(7);
    const small = await startToolEnv({ settings: { policy: { maxOutputBytes: 1024 } } });
    try {
      const text = await small.call('get_events', { namespace: ns });
      expect(Buffer.byteLength(text)).toBeLessThanOrEqual(1024);
      expect(text).toMatch(/\[left out the \d+ oldest of \d+ events to fit the output budget/);
      expect(toolRows(text).length).toBeGreaterThan(0);
    } finally {
      await small.close();
    }
  });

  it('a missing object names near names; a malformed object names the field', async () => {
    const cm = await env.callRaw('get_events', { namespace: ns, object: 'configmap/cgf' });
    expect(cm.isError).toBe(true);
    expect(cm.text).toMatch(new RegExp(`ConfigMap "cgf" not found in namespace "${ns}".*Did you mean: cfg`));
    const deploy = await env.callRaw('get_events', { namespace: ns, object: 'deploy/wbe' });
    expect(deploy.isError).toBe(true);
    expect(deploy.text).toMatch(/Deployment "wbe" not found.*Did you mean: web/);
    const bad = await env.callRaw('get_events', { namespace: ns, object: 'web' });
    expect(bad.isError).toBe(true);
    expect(bad.text).toMatch(/object: "web" is not kind\/name/);
    const kind = await env.callRaw('get_events', { namespace: ns, object: 'deploymnt/web' });
    expect(kind.isError).toBe(true);
    expect(kind.text).toMatch(/Unknown kind "deploymnt".*deployments\.apps/);
  });

  it.skipIf(external)('403 from the restricted context names the user, verb and namespace', async () => {
    const r = await env.callRaw('get_events', { namespace: ns, context: env.info.contexts.restricted });
    expect(r.isError).toBe(true);
    expect(r.text).toMatch(new RegExp(`Forbidden: user "[^"]+" \\(context "kz-restricted"\\) cannot list events in namespace "${ns}"`));
    const allowed = await env.call('get_events', { namespace: env.info.restrictedNamespace, context: env.info.contexts.restricted });
    expect(allowed).toMatch(/^Events in namespace "kz-readonly-ns"/);
  });
});
