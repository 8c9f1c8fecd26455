/**
 * apply_yaml against the real test cluster, checked with kubectl: created / unchanged /
 * configured like kubectl, all-or-nothing when one document fails its dry run, dryRun and
 * diffOnly change nothing, Secret values never shown, protected namespaces confirmed, and a
 * re-apply that leaves out fields an earlier apply set names them and removes them only once confirmed.
 */
import { ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testCluster } from '../cluster/context.js';
import { connectClient, textOf } from '../helpers/server.js';
import { createNamespaces, deleteNamespaces, startToolEnv, uniqueName, type ToolEnv } from './helpers.js';

const ns = uniqueName('kz-t-mut-apply');
const fresh = uniqueName('kz-t-mut-applyns');
const freshBad = uniqueName('kz-t-mut-applyns');
const external = testCluster().external;
let env: ToolEnv;

const configMap = (name: string, mode: string, namespace = ns) => `apiVersion: v1
kind: ConfigMap
metadata:
  name: ${name}
  namespace: ${namespace}
data:
  mode: ${mode}
  retries: "3"
`;

const deployment = (name: string, replicas: number | string, namespace?: string) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
${namespace ? `  namespace: ${namespace}\n` : ''}spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec: {containers: [{name: c, image: nginx:1.27}]}
`;

/** A Deployment as a first apply sets it up: replicas, a tier label, two ports, resources. */
const fullWeb = (name: string) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
  labels: {app: ${name}, tier: frontend}
spec:
  replicas: 3
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec:
      containers:
      - name: web
        image: nginx:1.27
        ports: [{containerPort: 8080}, {containerPort: 9090}]
        resources: {requests: {cpu: 100m, memory: 64Mi}}
`;

/** The same Deployment written from memory later: no replicas, no tier, one port, no resources. */
const partialWeb = (name: string) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
  labels: {app: ${name}}
spec:
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec:
      containers:
      - name: web
        image: nginx:1.27
        ports: [{containerPort: 9090}]
`;

/** What a person checks with kubectl: replicas, the tier label, the container's ports and CPU request. */
async function webShape(name: string): Promise<string> {
  const container = '.spec.template.spec.containers[0]';
  const path = `{.spec.replicas} {.metadata.labels.tier} {${container}.ports[*].containerPort} {${container}.resources.requests.cpu}`;
  return (await env.kubectl(['get', 'deploy', name, '-n', ns, '-o', `jsonpath=${path}`])).trim();
}

const REMOVED_FIELDS = [
  'metadata.labels.tier',
  'spec.replicas (3, becomes 1)',
  'spec.template.spec.containers[web].ports[8080]',
  'spec.template.spec.containers[web].resources.requests',
];

async function exists(kind: string, name: string, namespace = ns): Promise<boolean> {
  const out = await env.kubectl(['get', kind, name, '-n', namespace, '-o', 'name', '--ignore-not-found']);
  return out.trim() !== '';
}

describe('apply_yaml', () => {
  beforeAll(async () => {
    env = await startToolEnv();
    await createNamespaces(env.info, ns);
  });
  afterAll(async () => {
    if (env) {
      await deleteNamespaces(env.info, ns, fresh, freshBad);
      await env.close();
    }
  });

  it('creates, then reports unchanged, then configured, like kubectl apply', async () => {
    const manifest = `${configMap('app', 'blue')}---\n${deployment('web', 2)}`;
    const first = await env.call('apply_yaml', { manifest, namespace: ns });
    expect(first).toBe(`Applied 2 objects (context kz-admin, namespace ${ns}): 2 created.\nconfigmap/app created\ndeployment.apps/web created`);
    expect(await env.kubectl(['get', 'cm', 'app', '-n', ns, '-o', 'jsonpath={.data.mode}'])).toBe('blue');
    expect(await env.kubectl(['get', 'deploy', 'web', '-n', ns, '-o', 'jsonpath={.spec.replicas}'])).toBe('2');
    const managers = await env.kubectl(['get', 'cm', 'app', '-n', ns, '-o', 'jsonpath={.metadata.managedFields[*].manager}', '--show-managed-fields']);
    expect(managers).toContain('kubezilla-mcp');

    const again = await env.call('apply_yaml', { manifest, namespace: ns });
    expect(again).toBe(`Applied 2 objects (context kz-admin, namespace ${ns}): 2 unchanged.\nconfigmap/app unchanged\ndeployment.apps/web unchanged`);

    const changed = await env.call('apply_yaml', { manifest: manifest.replace('mode: blue', 'mode: green'), namespace: ns });
    expect(changed).toBe(
      `Applied 2 objects (context kz-admin, namespace ${ns}): 1 configured, 1 unchanged.\nconfigmap/app configured\ndeployment.apps/web unchanged`,
    );
    expect(await env.kubectl(['get', 'cm', 'app', '-n', ns, '-o', 'jsonpath={.data.mode}'])).toBe('green');
  });

  it('applies nothing when one document fails its dry run, and says which and why', async () => {
    const manifest = `${configMap('good', 'x')}---\n${deployment('broken', -1, ns)}`;
    const r = await env.callRaw('apply_yaml', { manifest });
    expect(r.isError).toBe(true);
    expect(r.text).toMatch(/^Error: Nothing was applied: 1 of 2 objects failed the server-side dry run\./);
    expect(r.text).toMatch(new RegExp(`document 2 \\(Deployment ${ns}/broken, line 10\\): invalid: spec.replicas: .*greater than or equal to 0`));
    expect(await exists('cm', 'good'), 'the valid document was not applied').toBe(false);
    expect(await exists('deploy', 'broken')).toBe(false);
  });

  it('lists every failing document of a big manifest in document order, and applies none', async () => {
    // Dry runs go out several at a time and their answers come back in any order.
    const bad = new Set([4, 17, 29, 40]);
    const docs = Array.from({ length: 40 }, (_, i) => (bad.has(i + 1) ? deployment(`bulk-${i + 1}`, -1, ns) : configMap(`bulk-${i + 1}`, 'x')));
    const r = await env.callRaw('apply_yaml', { manifest: docs.join('---\n') });
    expect(r.isError).toBe(true);
    expect(r.text).toMatch(/^Error: Nothing was applied: 4 of 40 objects failed the server-side dry run\./);
    const failing = [...r.text.matchAll(/^document (\d+) \(Deployment /gm)].map((m) => Number(m[1]));
    expect(failing).toEqual([...bad]);
    expect(await exists('cm', 'bulk-1')).toBe(false);
  });

  it('stops at fields another manager owns, and takes them over only with forceConflicts, like kubectl', async () => {
    await env.kubectl(['create', 'configmap', 'owned', '-n', ns, '--from-literal', 'mode=created']);
    const refused = await env.callRaw('apply_yaml', { manifest: configMap('owned', 'applied') });
    expect(refused.isError).toBe(true);
    expect(refused.text).toMatch(/field ownership conflict: .*conflict with "kubectl-create".*\.data\.mode/);
    expect(refused.text).toContain('forceConflicts: true, no need to ask again: this manifest then wins for exactly those fields');
    expect(await env.kubectl(['get', 'cm', 'owned', '-n', ns, '-o', 'jsonpath={.data.mode}'])).toBe('created');

    const forced = await env.call('apply_yaml', { manifest: configMap('owned', 'applied'), forceConflicts: true });
    expect(forced).toContain('configmap/owned configured');
    expect(await env.kubectl(['get', 'cm', 'owned', '-n', ns, '-o', 'jsonpath={.data.mode}'])).toBe('applied');
    const owners = await env.kubectl([
      'get',
      'cm',
      'owned',
      '-n',
      ns,
      '--show-managed-fields',
      '-o',
      'jsonpath={range .metadata.managedFields[*]}{.manager}={.fieldsV1}{"\\n"}{end}',
    ]);
    expect(owners.split('\n').find((l) => l.startsWith('kubezilla-mcp='))).toContain('f:mode');
    expect(owners.split('\n').find((l) => l.startsWith('kubectl-create=')) ?? '').not.toContain('f:mode');
  });

  it('explains a value of the wrong type as a manifest error, not a server failure', async () => {
    const manifest = `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: typed, namespace: ${ns}}\ndata: {count: 1}\n`;
    const r = await env.callRaw('apply_yaml', { manifest });
    expect(r.isError).toBe(true);
    expect(r.text).toContain(`document 1 (ConfigMap ${ns}/typed, line 1): invalid: .data.count: expected string, got 1 (Fix the type in the manifest;`);
    expect(r.text).not.toMatch(/retry|server side/);
    expect(await exists('cm', 'typed')).toBe(false);
  });

  it('reports YAML errors with the document and line, and unknown kinds, before sending anything', async () => {
    const bad = await env.callRaw('apply_yaml', {
      manifest: `${configMap('y1', 'a')}---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: y2\ndata: {}\n`,
      namespace: ns,
    });
    expect(bad.isError).toBe(true);
    expect(bad.text).toMatch(/nothing was applied/);
    expect(bad.text).toMatch(/document 2 \(from line 10\): YAML error: .* at line 1[0-9], column \d+/);
    expect(await exists('cm', 'y1')).toBe(false);

    const unknown = await env.callRaw('apply_yaml', {
      manifest: `${configMap('y3', 'a')}---\napiVersion: example.com/v1\nkind: Gizmo\nmetadata: {name: g}\n`,
      namespace: ns,
    });
    expect(unknown.text).toMatch(
      /Nothing was applied: 1 of 2 objects could not be checked\.\ndocument 2 \(Gizmo .*\): kind Gizmo \(apiVersion example.com\/v1\) is not served/,
    );
    const wrongVersion = await env.callRaw('apply_yaml', { manifest: deployment('v', 1).replace('apps/v1', 'apps/v1beta9'), namespace: ns });
    expect(wrongVersion.text).toMatch(/apiVersion apps\/v1beta9 does not serve kind Deployment; this cluster serves it as apps\/v1/);
    const noName = await env.callRaw('apply_yaml', { manifest: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {generateName: x-}\n', namespace: ns });
    expect(noName.text).toMatch(/document 1 \(ConfigMap \(no name\), line 1\): missing metadata.name \(generateName cannot be applied/);
    const other = await env.callRaw('apply_yaml', { manifest: configMap('y4', 'a', 'elsewhere'), namespace: ns });
    expect(other.text).toMatch(/metadata.namespace "elsewhere" differs from the namespace argument/);
    expect(await exists('cm', 'y3')).toBe(false);
  });

  it('diffOnly shows the change as a unified diff without applying it', async () => {
    const manifest = configMap('app', 'purple');
    const text = await env.call('apply_yaml', { manifest, namespace: ns, diffOnly: true });
    expect(text).toMatch(/^Diff of 1 object against the server-side dry run \(context kz-admin\); nothing was applied\./);
    expect(text).toContain('--- configmap/app (live)\n+++ configmap/app (after apply)\n@@ ');
    expect(text).toMatch(/^- {2}mode: green$/m);
    expect(text).toMatch(/^\+ {2}mode: purple$/m);
    expect(text).not.toMatch(/resourceVersion|managedFields|uid:|creationTimestamp/);
    expect(await env.kubectl(['get', 'cm', 'app', '-n', ns, '-o', 'jsonpath={.data.mode}'])).toBe('green');

    const same = await env.call('apply_yaml', { manifest: configMap('app', 'green'), namespace: ns, diffOnly: true });
    expect(same).toMatch(/configmap\/app: no changes/);
    const created = await env.call('apply_yaml', { manifest: configMap('new-one', 'x'), namespace: ns, diffOnly: true });
    expect(created).toMatch(/--- configmap\/new-one \(does not exist\)\n\+\+\+ configmap\/new-one \(after apply\)\n@@ -0,0 \+1,\d+ @@/);
    expect(await exists('cm', 'new-one')).toBe(false);
  });

  it('dryRun reports what would happen and applies nothing', async () => {
    const manifest = `${configMap('app', 'orange')}---\n${configMap('dry-new', 'x')}---\n${deployment('web', 2)}`;
    const text = await env.call('apply_yaml', { manifest, namespace: ns, dryRun: true });
    expect(text).toBe(
      `Server dry run passed for 3 objects (context kz-admin, namespace ${ns}); nothing was applied.\n` +
        'configmap/app configured (server dry run)\nconfigmap/dry-new created (server dry run)\ndeployment.apps/web unchanged (server dry run)',
    );
    expect(await exists('cm', 'dry-new')).toBe(false);
    expect(await env.kubectl(['get', 'cm', 'app', '-n', ns, '-o', 'jsonpath={.data.mode}'])).toBe('green');
  });

  it('never shows Secret values, yet says which keys change', async () => {
    const secret = (token: string) =>
      `apiVersion: v1\nkind: Secret\nmetadata: {name: creds, namespace: ${ns}}\nstringData:\n  token: ${token}\n  user: admin-user\n`;
    const created = await env.call('apply_yaml', { manifest: secret('s3cr3t-value-one') });
    expect(created).toMatch(/secret\/creds created/);
    const diff = await env.call('apply_yaml', { manifest: secret('s3cr3t-value-two'), diffOnly: true });
    for (const leaked of [
      's3cr3t-value',
      Buffer.from('s3cr3t-value-one').toString('base64'),
      Buffer.from('s3cr3t-value-two').toString('base64'),
      'admin-user',
      Buffer.from('admin-user').toString('base64'),
    ]) {
      expect(diff).not.toContain(leaked);
    }
    expect(diff).toMatch(/^- {2}token: "<redacted: 16 bytes>"\n\+ {2}token: "<redacted: 16 bytes, changed>"$/m);
    expect(diff).not.toMatch(/^[-+] {2}user:/m);
    const invalid = await env.callRaw('apply_yaml', { manifest: secret('s3cr3t-value-three').replace('name: creds', 'name: Bad_Name') });
    expect(invalid.isError).toBe(true);
    expect(invalid.text).not.toContain('s3cr3t-value');
    expect(await env.kubectl(['get', 'secret', 'creds', '-n', ns, '-o', 'jsonpath={.data.token}'])).toBe(Buffer.from('s3cr3t-value-one').toString('base64'));
  });

  it('a manifest that creates its namespace: the namespace first, then its objects; undone when one fails', async () => {
    const ok = `apiVersion: v1\nkind: Namespace\nmetadata: {name: ${fresh}}\n---\n${configMap('inside', 'a', fresh)}`;
    const dry = await env.call('apply_yaml', { manifest: ok, dryRun: true });
    expect(dry).toMatch(
      new RegExp(
        `namespace/${fresh} created \\(server dry run\\)\nconfigmap/inside created \\(server dry run skipped: namespace ${fresh} is created by this manifest\\)`,
      ),
    );
    expect(await env.kubectl(['get', 'ns', fresh, '--ignore-not-found', '-o', 'name'])).toBe('');
    const text = await env.call('apply_yaml', { manifest: ok });
    expect(text).toBe(`Applied 2 objects (context kz-admin, namespace ${fresh}): 2 created.\nnamespace/${fresh} created\nconfigmap/inside created`);
    expect(await exists('cm', 'inside', fresh)).toBe(true);

    const bad = `apiVersion: v1\nkind: Namespace\nmetadata: {name: ${freshBad}}\n---\n${configMap('fine', 'a', freshBad)}---\n${deployment('broken', -1, freshBad)}`;
    const r = await env.callRaw('apply_yaml', { manifest: bad });
    expect(r.isError).toBe(true);
    expect(r.text).toMatch(/Nothing was applied: 1 of 3 objects failed the server-side dry run/);
    expect(r.text).toMatch(new RegExp(`Namespace ${freshBad}, created only so the objects in it could be dry-run, was deleted again`));
    const phase = await env.kubectl(['get', 'ns', freshBad, '--ignore-not-found', '-o', 'jsonpath={.status.phase}']);
    expect(['', 'Terminating']).toContain(phase);
  });

  it('caps the manifest size', async () => {
    const big = `${configMap('big', 'x')}  filler: "${'x'.repeat(1024 * 1024)}"\n`;
    const r = await env.callRaw('apply_yaml', { manifest: big, namespace: ns });
    expect(r.isError).toBe(true);
    // The schema's maxLength refuses it before the tool runs; the tool's own byte check covers multi-byte text under it.
    expect(r.text).toMatch(/`manifest` is \d+ characters long; it takes at most 1048576 characters/);
  });

  it.skipIf(external)('the restricted context gets an explained 403 and nothing is applied', async () => {
    const restrictedNs = env.info.restrictedNamespace!;
    const r = await env.callRaw('apply_yaml', { manifest: configMap(`${ns}-cm`, 'a', restrictedNs), context: env.info.contexts.restricted! });
    expect(r.isError).toBe(true);
    expect(r.text).toMatch(
      new RegExp(
        `Nothing was applied: 1 of 1 object failed the server-side dry run.\ndocument 1 .*Forbidden: user "kz-restricted" .*cannot patch configmaps "${ns}-cm" in namespace "${restrictedNs}"`,
      ),
    );
  });

  it('asks before changing a protected namespace, named in the arguments or in the manifest', async () => {
    const viaArg = await env.callRaw('apply_yaml', { manifest: configMap('kz-never', 'a', 'kube-system'), namespace: 'kube-system' });
    expect(viaArg.text).toMatch(/Needs confirmation: apply_yaml will change the protected namespace "kube-system"/);
    const viaManifest = await env.callRaw('apply_yaml', { manifest: configMap('kz-never', 'a', 'kube-system') });
    expect(viaManifest.text).toMatch(/Needs confirmation: apply_yaml will change the protected namespace "kube-system" in context kz-admin/);
    expect(await exists('cm', 'kz-never', 'kube-system')).toBe(false);
    // A dry run changes nothing, so it needs no confirmation.
    expect(await env.call('apply_yaml', { manifest: configMap('kz-never', 'a', 'kube-system'), dryRun: true })).toMatch(
      /configmap\/kz-never created \(server dry run\)/,
    );
  });

  it('a re-apply that leaves out fields an earlier apply set lists them, and removes them only once confirmed', async () => {
    expect(await env.call('apply_yaml', { manifest: fullWeb('pruned'), namespace: ns })).toMatch(/deployment.apps\/pruned created/);
    expect(await webShape('pruned')).toBe('3 frontend 8080 9090 100m');

    const refused = await env.callRaw('apply_yaml', { manifest: partialWeb('pruned'), namespace: ns });
    expect(refused.isError).toBe(true);
    expect(refused.text).toContain(
      'Needs confirmation: Applying in context kz-admin removes 4 fields that an earlier apply set and this manifest leaves out: ' +
        `deployment.apps/pruned in namespace ${ns}: ${REMOVED_FIELDS.join(', ')}. Proceed?`,
    );
    expect(refused.text).toMatch(/"confirm": "kzc_/);
    expect(await webShape('pruned'), 'nothing changed without confirmation').toBe('3 frontend 8080 9090 100m');

    // The previews name the same fields and change nothing either.
    const dry = await env.call('apply_yaml', { manifest: partialWeb('pruned'), namespace: ns, dryRun: true });
    const preview = `applying removes 4 fields the manifest leaves out (asks first): ${REMOVED_FIELDS.join(', ')}`;
    expect(dry).toContain(`\ndeployment.apps/pruned configured (server dry run); ${preview}`);
    const diff = await env.call('apply_yaml', { manifest: partialWeb('pruned'), namespace: ns, diffOnly: true });
    expect(diff).toMatch(/^- {2}replicas: 3$/m);
    expect(diff).toContain(`\ndeployment.apps/pruned: ${preview}`);
    expect(await webShape('pruned')).toBe('3 frontend 8080 9090 100m');

    const confirmed = (await env.callConfirmed('apply_yaml', { manifest: partialWeb('pruned'), namespace: ns })).text;
    expect(confirmed).toBe(
      `Applied 1 object (context kz-admin, namespace ${ns}): 1 configured.\ndeployment.apps/pruned configured (removed ${REMOVED_FIELDS.join(', ')})`,
    );
    expect(await webShape('pruned')).toBe('1  9090');

    // Nothing left to remove: no question, and putting fields back never asks either.
    const again = await env.call('apply_yaml', { manifest: partialWeb('pruned'), namespace: ns });
    expect(again).toBe(`Applied 1 object (context kz-admin, namespace ${ns}): 1 unchanged.\ndeployment.apps/pruned unchanged`);
    expect(await env.call('apply_yaml', { manifest: fullWeb('pruned'), namespace: ns })).toMatch(/deployment.apps\/pruned configured$/);
    expect(await webShape('pruned')).toBe('3 frontend 8080 9090 100m');
  });

  it('fields taken over with forceConflicts count as set by an earlier apply', async () => {
    await env.kubectl(['create', 'configmap', 'taken', '-n', ns, '--from-literal', 'mode=created', '--from-literal', 'level=debug']);
    const takeover = `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: taken, namespace: ${ns}}\ndata: {mode: applied, level: info}\n`;
    expect(await env.call('apply_yaml', { manifest: takeover, forceConflicts: true })).toContain('configmap/taken configured');
    const without = await env.callRaw('apply_yaml', { manifest: takeover.replace(', level: info', '') });
    expect(without.text).toContain(
      'Needs confirmation: Applying in context kz-admin removes 1 field that an earlier apply set and this manifest leaves out: ' +
        `configmap/taken in namespace ${ns}: data.level.`,
    );
    expect(await env.kubectl(['get', 'cm', 'taken', '-n', ns, '-o', 'jsonpath={.data.level}'])).toBe('info');
  });

  it('asks through elicitation when the client offers it: a no removes nothing, a yes removes the listed fields', async () => {
    await env.call('apply_yaml', { manifest: fullWeb('asked'), namespace: ns });
    const { client } = await connectClient(env.server.url, env.server.token, { elicitation: { form: {} } });
    try {
      const asked: string[] = [];
      let answer = false;
      client.setRequestHandler(ElicitRequestSchema, async (request) => {
        asked.push(request.params.message);
        return { action: 'accept', content: { confirm: answer } };
      });
      const no = await client.callTool({ name: 'apply_yaml', arguments: { manifest: partialWeb('asked'), namespace: ns } });
      expect(no.isError).toBe(true);
      expect(textOf(no)).toMatch(/^Error: Not done: the person declined/);
      expect(asked).toEqual([
        `Applying in context kz-admin removes 4 fields that an earlier apply set and this manifest leaves out: deployment.apps/asked in namespace ${ns}: ` +
          `${REMOVED_FIELDS.join(', ')}. Proceed? (To keep a field, add it to the manifest.)`,
      ]);
      expect(await webShape('asked')).toBe('3 frontend 8080 9090 100m');

      answer = true;
      const yes = await client.callTool({ name: 'apply_yaml', arguments: { manifest: partialWeb('asked'), namespace: ns } });
      expect(textOf(yes)).toMatch(
        /^Applied 1 object \(context kz-admin, namespace [\w-]+\): 1 configured\.\ndeployment.apps\/asked configured \(removed metadata.labels.tier, /,
      );
      expect(await webShape('asked')).toBe('1  9090');
      expect(asked).toHaveLength(2);
      // A re-apply that removes nothing does not ask.
      expect(textOf(await client.callTool({ name: 'apply_yaml', arguments: { manifest: partialWeb('asked'), namespace: ns } }))).toMatch(/1 unchanged/);
      expect(asked).toHaveLength(2);
    } finally {
      await client.close();
    }
  });

  it('records the calls in the audit log', async () => {
    const audit = env.server.server.audit.recent(200).filter((e) => e.tool === 'apply_yaml');
    const created = audit.find(
      (e) => e.outcome === 'ok' && e.namespace === ns && e.summary === `Applied 2 objects (context kz-admin, namespace ${ns}): 2 created.`,
    );
    expect(created?.target).toMatch(/^\w+\/[\w.-]+, \w+\/[\w.-]+$/);
    expect(audit.find((e) => e.outcome === 'error' && /Nothing was applied/.test(e.summary))).toBeTruthy();
    expect(audit.find((e) => e.outcome === 'refused' && /protected namespace/.test(e.summary))).toBeTruthy();
    for (const e of audit) expect(JSON.stringify(e)).not.toContain('s3cr3t');
  });
});
