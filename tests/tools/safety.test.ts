/**
 * The kernel keeps the cluster safe for every module, against the real cluster and real helm:
 *   - every non-read module (the built-ins, the destructive ones enabled, plus careless modules
 *     loaded with --tools-dir) is run with the *current* context read-only, and with a protected
 *     *default* namespace, naming neither: kubectl shows nothing changed. A new module is covered
 *     without a test of its own.
 *   - a person's "no" cannot be overridden by the model repeating the call with `confirm`;
 *   - a chart that renders into another, protected namespace is confirmed before helm runs;
 *   - the same API server under another context name is read-only too;
 *   - dry runs are allowed on read-only contexts and audited as such;
 *   - a Secret read by a chart's `lookup` never reaches the answer or the audit log;
 *   - the audit log names the context and namespaces really touched, and invalid calls.
 */
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { parse, stringify } from 'yaml';
import { testCluster } from '../cluster/context.js';
import { connectClient, textOf } from '../helpers/server.js';
import { chart, h } from './helm-fixtures.js';
import { apply, createNamespaces, deleteNamespaces, startToolEnv, uniqueName, type ToolEnv } from './helpers.js';
import { ALL_CLASSES, createTestNode, deleteTestNode, deploymentOnNode } from './destructive-fixtures.js';

const info = testCluster();
const external = info.external;
const CARELESS = fileURLToPath(new URL('../fixtures/modules/careless', import.meta.url));
const ns = uniqueName('kz-t-safe');
const other = uniqueName('kz-t-safe-b');
/** The node tools act on a node of this file's own (the Deployment `pinned` runs there). */
let node: string;
const NODE_TOOLS = ['cordon_node', 'uncordon_node', 'drain_node', 'taint_node'];

/** The test kubeconfig with the admin context current and its default namespace set to `namespace`. */
function kubeconfigWithDefault(namespace: string): string {
  const config = parse(readFileSync(info.kubeconfig, 'utf8')) as {
    contexts: Array<{ name: string; context: { namespace?: string } }>;
    'current-context': string;
  };
  for (const c of config.contexts) if (c.name === info.contexts.admin) c.context.namespace = namespace;
  config['current-context'] = info.contexts.admin;
  const file = join(mkdtempSync(join(tmpdir(), 'kz-safe-kubeconfig-')), 'config');
  writeFileSync(file, stringify(config), { mode: 0o600 });
  return file;
}

/** What a change would show: every object's name with its generation (workloads) or resourceVersion. */
async function snapshot(env: ToolEnv): Promise<string> {
  const template = '{range .items[*]}{.kind}/{.metadata.name} {.metadata.generation} {.metadata.labels}{"\\n"}{end}';
  const workloads = await env.kubectl(['get', 'deploy,sts,ds', '-n', ns, '-o', `jsonpath=${template}`]);
  const data = await env.kubectl([
    'get',
    'cm,secret,svc',
    '-n',
    ns,
    '-o',
    'jsonpath={range .items[*]}{.kind}/{.metadata.name} {.metadata.resourceVersion}{"\\n"}{end}',
  ]);
  const pods = await env.kubectl(['get', 'pods', '-n', ns, '-o', 'jsonpath={range .items[*]}pod/{.metadata.uid}{"\\n"}{end}']);
  const nodeSpec = await env.kubectl(['get', 'node', node, '-o', 'jsonpath=node {.spec.unschedulable} {.spec.taints}{"\\n"}']);
  return (workloads + data + pods + nodeSpec).split('\n').filter(Boolean).sort().join('\n');
}

/** An example call for each built-in mutation, aimed at the objects this file creates; other modules use their description's example. */
function exampleArgs(tool: { name: string; description?: string }): Record<string, unknown> {
  switch (tool.name) {
    case 'scale':
      return { resource: 'deploy/web', replicas: 2 };
    case 'rollout_restart':
      return { resource: 'deploy/web' };
    case 'apply_yaml':
      return { manifest: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: applied}\ndata: {a: b}\n' };
    case 'helm_install':
      return { release: 'fresh', chart: chart(info, '0.1.0') };
    case 'helm_upgrade':
      return { release: 'rel', chart: chart(info, '0.2.0'), values: 'greeting: changed' };
    case 'helm_rollback':
    case 'helm_uninstall':
      return { release: 'rel' };
    case 'delete_resource':
      return { name: 'deploy/web' };
    case 'cordon_node':
    case 'uncordon_node':
    case 'drain_node':
      return { node };
    case 'taint_node':
      return { node, taints: ['kz-safe=x:NoExecute'] };
    case 'port_forward_start':
      return { target: 'deploy/web', ports: [':80'] };
    default: {
      const example = /Example: (\{.*\})/.exec(tool.description ?? '')?.[1];
      if (!example) throw new Error(`${tool.name}: no example call in its description to run it with`);
      return JSON.parse(example) as Record<string, unknown>;
    }
  }
}

let admin: ToolEnv;
beforeAll(async () => {
  admin = await startToolEnv();
  node = await createTestNode(info, 'kz-t-safe');
  await createNamespaces(info, ns, other);
  await apply(
    info,
    `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: ${ns}}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: nginx:1.27}]}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: kz-careless, namespace: ${ns}}
data: {a: b}
---
${deploymentOnNode(node, ns, 'pinned', 1)}`,
  );
  process.env.KUBEZILLA_HELM = info.tools.helm4;
  await h(info, 4, ['install', 'rel', chart(info, '0.1.0'), '-n', ns]);
  await h(info, 4, ['upgrade', 'rel', chart(info, '0.2.0'), '-n', ns]);
}, 240_000);
afterAll(async () => {
  await admin?.close();
  await deleteNamespaces(info, ns, other);
  await deleteTestNode(info, node);
});

describe.skipIf(external)('every non-read module, run against the current context without naming it', () => {
  for (const mode of ['read-only context', 'protected default namespace'] as const) {
    it(`changes nothing with a ${mode}`, async () => {
      const policy = {
        enabledClasses: ALL_CLASSES,
        ...(mode === 'read-only context' ? { readOnlyContexts: [info.contexts.admin] } : { protectedNamespaces: [ns] }),
      };
      const env = await startToolEnv({ settings: { policy }, kubeconfigPaths: [kubeconfigWithDefault(ns)], toolDirs: [CARELESS] });
      try {
        const before = await snapshot(env);
        // Modules that reach no cluster (port_forward_stop only closes a local listener) have no
        // context to protect, so they are not expected to be refused here.
        const mutations = [...env.server.server.kernel.registry.tools.values()]
          .map(({ module }) => module)
          .filter((m) => m.safety !== 'read' && m.openWorld !== false);
        expect(mutations.map((m) => m.name)).toEqual(
          expect.arrayContaining(['scale', 'apply_yaml', 'helm_install', 'label_current', 'delete_resource', ...NODE_TOOLS]),
        );
        for (const module of mutations) {
          // uncordon_node has something to undo only on a cordoned node.
          const cordonFirst = module.name === 'uncordon_node';
          if (cordonFirst) await env.kubectl(['cordon', node]);
          const expected = cordonFirst ? await snapshot(env) : before;
          const r = await env.callRaw(module.name, exampleArgs(module));
          expect(r.isError, `${module.name}: ${r.text}`).toBe(true);
          // A node is no namespace's: the node tools (drain asks about the namespaces of the pods it
          // would evict, cordon and taint only for themselves) are stopped by their own question.
          const own = mode !== 'read-only context' && ['cordon_node', 'uncordon_node', 'taint_node'].includes(module.name);
          expect(r.text, module.name).toMatch(
            mode === 'read-only context'
              ? new RegExp(`context ${info.contexts.admin} is read-only on this server`)
              : own
                ? /^Error: Needs confirmation: (Cordon|Uncordon|Taint) node /
                : new RegExp(`^Error: Needs confirmation: .*protected namespace.* "${ns}"`),
          );
          expect(await snapshot(env), `${module.name} changed something`).toBe(expected);
          if (cordonFirst) await env.kubectl(['uncordon', node]);
        }
        expect(await h(info, 4, ['list', '-n', ns, '-q'])).toBe('rel\n');
        // The audit log names the context the calls reached, though none named it.
        const audit = env.server.server.audit.recent(50);
        expect(
          audit
            .filter((e) => e.outcome === 'refused')
            .map((e) => e.tool)
            .sort(),
        ).toEqual(mutations.map((m) => m.name).sort());
        expect(new Set(audit.map((e) => e.context))).toEqual(new Set([info.contexts.admin]));
      } finally {
        await env.close();
      }
    }, 240_000);
  }

  it('a read tool that writes is refused, and swallowing the refusal does not make it a success', async () => {
    const env = await startToolEnv({ kubeconfigPaths: [kubeconfigWithDefault(ns)], toolDirs: [CARELESS] });
    try {
      const before = await snapshot(env);
      const r = await env.callRaw('sneaky_read', { value: 'x' });
      expect(r).toMatchObject({
        isError: true,
        text: expect.stringMatching(/sneaky_read is a read tool, so it may not change the cluster \(it tried PATCH configmaps/),
      });
      expect(await snapshot(env)).toBe(before);
      // A careless mutation module on an ordinary namespace works as written.
      expect(await env.call('label_current', { value: 'ok' })).toBe(
        `labelled configmap/kz-careless in ${ns} (context ${info.contexts.admin}) with careless=ok`,
      );
      expect(await env.kubectl(['get', 'cm', 'kz-careless', '-n', ns, '-o', 'jsonpath={.metadata.labels.careless}'])).toBe('ok');
    } finally {
      await env.close();
    }
  });
});

describe.skipIf(external)('confirmation the model cannot skip', () => {
  it('a person\'s "no" to a scale to 0 stays a no when the model repeats the call with confirm', async () => {
    const { client } = await connectClient(admin.server.url, admin.server.token, { elicitation: { form: {} } });
    const asked: string[] = [];
    client.setRequestHandler(ElicitRequestSchema, async (request) => {
      asked.push(request.params.message);
      return { action: 'accept', content: { confirm: false } };
    });
    try {
      for (const args of [{}, { confirm: true }]) {
        const r = await client.callTool({ name: 'scale', arguments: { resource: 'deploy/web', replicas: 0, namespace: ns, ...args } });
        expect(r.isError).toBe(true);
        expect(textOf(r)).toMatch(/Not done: the person declined/);
      }
      expect(asked).toEqual(Array(2).fill(expect.stringMatching(/from 1 to 0 replicas/)));
      expect(await admin.kubectl(['get', 'deploy', 'web', '-n', ns, '-o', 'jsonpath={.spec.replicas}'])).toBe('1');
    } finally {
      await client.close();
    }
  });
});

describe.skipIf(external)('policy judged on what a call really touches', () => {
  /** A chart installed into one namespace that also renders a ConfigMap into `other`. */
  function crossNamespaceChart(): string {
    const dir = mkdtempSync(join(tmpdir(), 'kz-cross-chart-'));
    mkdirSync(join(dir, 'templates'));
    writeFileSync(join(dir, 'Chart.yaml'), 'apiVersion: v2\nname: kz-cross\nversion: 1.0.0\n');
    writeFileSync(join(dir, 'values.yaml'), `other: ${other}\n`);
    writeFileSync(
      join(dir, 'templates', 'cm.yaml'),
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cross\n  namespace: {{ .Values.other }}\ndata: {a: b}\n',
    );
    return dir;
  }

  it('a chart that renders into a protected namespace is confirmed before helm changes anything', async () => {
    const env = await startToolEnv({ settings: { policy: { protectedNamespaces: [other] } } });
    try {
      const args = { release: 'cross', chart: crossNamespaceChart(), namespace: ns };
      const refused = await env.callRaw('helm_install', args);
      expect(refused.text).toMatch(
        new RegExp(`^Error: Needs confirmation: helm_install will change the protected namespace "${other}" in context ${info.contexts.admin}`),
      );
      expect(await h(info, 4, ['list', '-n', ns, '-q'])).not.toMatch(/cross/);
      expect(await env.kubectl(['get', 'cm', '-n', other, '-o', 'name'])).not.toMatch(/cross/);
      const done = await env.callConfirmed('helm_install', args);
      expect(done.text).toMatch(/^Installed cross/);
      expect(await env.kubectl(['get', 'cm', 'cross', '-n', other, '-o', 'jsonpath={.data.a}'])).toBe('b');
      const audit = env.server.server.audit.recent(1)[0]!;
      expect(audit).toMatchObject({ tool: 'helm_install', context: info.contexts.admin, outcome: 'ok', target: 'cross' });
      expect(audit.namespace.split(', ').sort()).toEqual([ns, other].sort());
    } finally {
      await h(info, 4, ['uninstall', 'cross', '-n', ns], { allowFail: true });
      await env.close();
    }
  });

  it('the same API server under another context name is read-only too', async () => {
    const env = await startToolEnv({ settings: { policy: { readOnlyContexts: [info.contexts.ssh!] } } });
    try {
      const r = await env.callRaw('scale', { resource: 'deploy/web', replicas: 3, namespace: ns, context: info.contexts.admin });
      expect(r.text).toMatch(
        new RegExp(
          `context ${info.contexts.admin} is read-only on this server \\(it reaches the same API server as the read-only context ${info.contexts.ssh}\\)`,
        ),
      );
      expect(await env.kubectl(['get', 'deploy', 'web', '-n', ns, '-o', 'jsonpath={.spec.replicas}'])).toBe('1');
    } finally {
      await env.close();
    }
  });

  it('a dry run follows one rule on a read-only context, named or current, and is audited as dry-run', async () => {
    const env = await startToolEnv({ settings: { policy: { readOnlyContexts: [info.contexts.admin] } }, kubeconfigPaths: [kubeconfigWithDefault(ns)] });
    try {
      const manifest = 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: previewed}\ndata: {a: b}\n';
      for (const args of [{ manifest }, { manifest, context: info.contexts.admin }]) {
        expect(await env.call('apply_yaml', { ...args, dryRun: true })).toMatch(/configmap\/previewed created \(server dry run\)/);
      }
      expect(await env.call('apply_yaml', { manifest, diffOnly: true })).toMatch(/^Diff of 1 object/);
      expect(await env.call('helm_upgrade', { release: 'rel', chart: chart(info, '0.1.0'), dryRun: true })).toMatch(/^Dry run/);
      expect(await env.kubectl(['get', 'cm', '-n', ns, '-o', 'name'])).not.toMatch(/previewed/);
      const audit = env.server.server.audit.recent(4);
      expect(audit.map((e) => [e.tool, e.outcome, e.context, e.namespace])).toEqual([
        ['helm_upgrade', 'dry-run', info.contexts.admin, ns],
        ...Array(3).fill(['apply_yaml', 'dry-run', info.contexts.admin, ns]),
      ]);
    } finally {
      await env.close();
    }
  });

  it('records a call with invalid arguments too', async () => {
    const r = await admin.callRaw('apply_yaml', { manifest: 42 });
    expect(r.text).toMatch(/^Invalid arguments for apply_yaml: `manifest` must be string/);
    expect(admin.server.server.audit.recent(1)[0]).toMatchObject({
      tool: 'apply_yaml',
      outcome: 'error',
      summary: expect.stringMatching(/^Invalid arguments/),
    });
  });
});

describe.skipIf(external)('Secrets a chart reads never reach the model', () => {
  const secretValue = 'pa55-from-the-cluster-7f3a';
  /** A chart whose template fails with the value of a Secret it looked up. */
  function lookupChart(): string {
    const dir = mkdtempSync(join(tmpdir(), 'kz-lookup-chart-'));
    mkdirSync(join(dir, 'templates'));
    writeFileSync(join(dir, 'Chart.yaml'), 'apiVersion: v2\nname: kz-lookup\nversion: 1.0.0\n');
    writeFileSync(
      join(dir, 'templates', 'cm.yaml'),
      '{{- $s := lookup "v1" "Secret" .Release.Namespace "db-pass" }}{{- if $s }}{{ fail (printf "found %s" ($s.data.password | b64dec)) }}{{- end }}\n' +
        'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: looked}\ndata: {a: b}\n',
    );
    return dir;
  }

  it.each([3, 4] as const)("with helm %i: not in a dry run's error on a read-only context, nor in the audit log", async (major) => {
    await admin.kubectl(['create', 'secret', 'generic', 'db-pass', '-n', ns, `--from-literal=password=${secretValue}`], { allowFail: true });
    process.env.KUBEZILLA_HELM = major === 3 ? info.tools.helm3 : info.tools.helm4;
    const env = await startToolEnv({ settings: { policy: { readOnlyContexts: [info.contexts.admin] } } });
    try {
      const r = await env.callRaw('helm_install', { release: `look${major}`, chart: lookupChart(), namespace: ns, dryRun: true });
      expect(r.isError).toBe(true);
      expect(r.text).toMatch(/found \[secret\]/);
      expect(r.text).not.toContain(secretValue);
      const audit = readFileSync(env.server.server.audit.file, 'utf8');
      expect(audit).toMatch(/"tool":"helm_install"/);
      expect(audit).not.toContain(secretValue);
      // helm's own output never reaches the audit log: its line ends where helm's text would begin.
      expect(env.server.server.audit.recent(1)[0]).toMatchObject({
        outcome: 'error',
        context: info.contexts.admin,
        namespace: ns,
        summary: `Error: helm failed (install look${major} in namespace ${ns}, exit 1):`,
      });
    } finally {
      process.env.KUBEZILLA_HELM = info.tools.helm4;
      await env.close();
    }
  });
});
