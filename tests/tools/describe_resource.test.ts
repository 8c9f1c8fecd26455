/**
 * describe_resource against the real test cluster through a real MCP client, checked against
 * kubectl describe / kubectl get for the same objects.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testCluster } from '../cluster/context.js';
import { apply, createNamespaces, deleteNamespaces, eventually, startToolEnv, uniqueName, type ToolEnv } from './helpers.js';

const ns = uniqueName('kz-t-describe');
const crdGroup = `${ns}.example.com`;
let env: ToolEnv;
/** An external cluster (KUBEZILLA_TEST_KUBECONFIG) has no restricted user and no bastion. */
const external = testCluster().external;

/** The value after `Key:` on the first line that starts with it (after indentation). */
function field(text: string, key: string): string | undefined {
  const line = text.split('\n').find((l) => l.trimStart().startsWith(`${key}:`));
  return line
    ?.trimStart()
    .slice(key.length + 1)
    .trim();
}

/** The lines of a section that starts with `title` (up to the next unindented line). */
function section(text: string, title: string): string[] {
  const lines = text.split('\n');
  const start = lines.findIndex((l) => l.startsWith(title));
  if (start === -1) return [];
  const end = lines.findIndex((l, i) => i > start && l !== '' && !l.startsWith(' '));
  return lines.slice(start + 1, end === -1 ? undefined : end);
}

async function json(args: string[]): Promise<any> {
  return JSON.parse(await env.kubectl([...args, '-o', 'json']));
}

beforeAll(async () => {
  env = await startToolEnv();
  await createNamespaces(env.info, ns);
  await apply(
    env.info,
    `
apiVersion: v1
kind: ConfigMap
metadata: {name: cfg, namespace: ${ns}, labels: {tier: config}}
data: {mode: fast, greeting: hello}
---
apiVersion: v1
kind: Secret
metadata: {name: creds, namespace: ${ns}}
stringData: {password: s3cr3t-value, user: admin}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: ${ns}
  annotations: {kz-test/note: hello}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  strategy: {type: RollingUpdate, rollingUpdate: {maxSurge: 1, maxUnavailable: 0}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: app
        image: nginx:1.27
        ports: [{containerPort: 8080}]
        resources: {requests: {cpu: 100m, memory: 64Mi}, limits: {memory: 128Mi}}
        readinessProbe: {httpGet: {path: /healthz, port: 8080}, periodSeconds: 5}
        livenessProbe: {tcpSocket: {port: 8080}, initialDelaySeconds: 10}
        env: [{name: FOO, value: bar}, {name: MODE, valueFrom: {configMapKeyRef: {name: cfg, key: mode}}}]
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: ${ns}}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: 8080}]
---
apiVersion: v1
kind: Service
metadata: {name: orphan, namespace: ${ns}}
spec:
  selector: {app: nothing-here}
  ports: [{port: 80}]
---
apiVersion: v1
kind: Pod
metadata: {name: crashy, namespace: ${ns}}
spec:
  containers:
  - name: app
    image: busybox:1.36
    volumeMounts: [{name: conf, mountPath: /etc/conf, readOnly: true}, {name: scratch, mountPath: /tmp}]
  volumes:
  - {name: conf, configMap: {name: cfg}}
  - {name: scratch, emptyDir: {}}
`,
  );
  await apply(
    env.info,
    `
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, namespace: ${ns}}
spec:
  serviceName: db
  replicas: 2
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec: {containers: [{name: db, image: postgres:16}]}
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent, namespace: ${ns}}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec: {containers: [{name: agent, image: busybox}]}
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: nightly, namespace: ${ns}}
spec:
  schedule: "0 3 * * *"
  suspend: true
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: Never
          containers: [{name: job, image: busybox}]
---
apiVersion: v1
kind: Pod
metadata: {name: stuck, namespace: ${ns}}
spec:
  nodeSelector: {kz-test: no-such-node}
  containers: [{name: app, image: busybox}]
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: gadgets.${crdGroup}}
spec:
  group: ${crdGroup}
  scope: Namespaced
  names: {plural: gadgets, singular: gadget, kind: Gadget}
  versions:
  - name: v1
    served: true
    storage: true
    schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}
`,
  );
  await env.kubectl(['-n', ns, 'create', 'job', '--from=cronjob/nightly', 'nightly-manual']);
  await env.kubectl(['wait', '--for=condition=established', `crd/gadgets.${crdGroup}`, '--timeout=30s']);
  await apply(
    env.info,
    `
apiVersion: ${crdGroup}/v1
kind: Gadget
metadata: {name: g1, namespace: ${ns}}
spec: {size: 3, color: blue}
status:
  phase: Degraded
  conditions: [{type: Ready, status: "False", reason: Broken, message: the gadget is broken, lastTransitionTime: "2026-01-01T00:00:00Z"}]
`,
  );
  const ready = await eventually(async () => {
    const d = await json(['-n', ns, 'get', 'deploy', 'web']);
    const p = await json(['-n', ns, 'get', 'pod', 'crashy']);
    const eps = await env.kubectl([
      '-n',
      ns,
      'get',
      'endpointslices',
      '-l',
      'kubernetes.io/service-name=web',
      '-o',
      'jsonpath={.items[*].endpoints[*].addresses[*]}',
    ]);
    const sts = await json(['-n', ns, 'get', 'sts', 'db']);
    const ds = await json(['-n', ns, 'get', 'ds', 'agent']);
    return (
      d.status?.readyReplicas === 2 &&
      p.status?.phase === 'Running' &&
      eps.trim().split(' ').length === 2 &&
      sts.status?.readyReplicas === 2 &&
      ds.status?.numberReady === env.info.nodes.length
    );
  }, 60_000);
  expect(ready, 'objects did not become ready').toBe(true);
  await env.kubectl([
    '-n',
    ns,
    'patch',
    'pod',
    'crashy',
    '--subresource=status',
    '--type=json',
    '-p',
    JSON.stringify([
      { op: 'replace', path: '/status/containerStatuses/0/restartCount', value: 3 },
      {
        op: 'add',
        path: '/status/containerStatuses/0/lastState',
        value: { terminated: { exitCode: 137, reason: 'OOMKilled', startedAt: '2026-01-01T00:00:00Z', finishedAt: '2026-01-01T00:01:00Z' } },
      },
    ]),
  ]);
}, 120_000);

afterAll(async () => {
  await env?.close();
  if (env) {
    await deleteNamespaces(env.info, ns);
    await env.kubectl(['delete', 'crd', `gadgets.${crdGroup}`, '--wait=false', '--ignore-not-found'], { allowFail: true });
  }
});

describe('describe_resource', () => {
  it('a pod: containers, state, last termination, restarts, mounts, conditions, volumes, events', async () => {
    const kd = await env.kubectl(['-n', ns, 'describe', 'pod', 'crashy']);
    const pod = await json(['-n', ns, 'get', 'pod', 'crashy']);
    const text = await env.call('describe_resource', { kind: 'pod', name: 'crashy', namespace: ns });
    expect(field(text, 'Name')).toBe('crashy');
    expect(field(text, 'Namespace')).toBe(ns);
    expect(field(text, 'Kind')).toBe('Pod (v1)');
    expect(field(text, 'Node')).toContain(pod.spec.nodeName);
    expect(kd).toMatch(new RegExp(`Node:\\s+${pod.spec.nodeName}`));
    expect(field(text, 'Pod IP')).toBe(pod.status.podIP);
    expect(field(text, 'Image')).toBe('busybox:1.36');
    expect(field(text, 'State')).toMatch(/^Running \(started/);
    // kubectl describe reports the same last state and restart count
    expect(kd).toMatch(/Last State:\s+Terminated\s+Reason:\s+OOMKilled\s+Exit Code:\s+137/);
    expect(kd).toMatch(/Restart Count:\s+3/);
    expect(field(text, 'Last state')).toMatch(/^Terminated \(OOMKilled, exit code 137, started .* ago, finished .* ago\)$/);
    expect(field(text, 'Restarts')).toBe('3');
    expect(field(text, 'Ready')).toBe('1/1 containers, 3 restarts');
    expect(field(text, 'Mounts')).toContain('/etc/conf from conf (ro)');
    expect(section(text, 'Volumes:')).toEqual(expect.arrayContaining(['  conf: configmap cfg', '  scratch: empty dir']));
    const conditionTypes = pod.status.conditions.map((c: { type: string }) => c.type);
    const rows = section(text, 'Conditions:')
      .slice(1)
      .map((l) => l.trim().split(/\s{2,}/)[0]);
    expect(rows.sort()).toEqual([...conditionTypes].sort());
    expect(text).toMatch(/Events \(\d+, newest last\):\n\s+LAST SEEN\s+TYPE\s+REASON\s+MESSAGE\n.*Normal\s+Scheduled\s+Successfully assigned/);
  });

  it('a deployment: replicas, strategy, conditions, ReplicaSets, template, pods and events (kind/name form)', async () => {
    const kd = await env.kubectl(['-n', ns, 'describe', 'deploy', 'web']);
    const d = await json(['-n', ns, 'get', 'deploy', 'web']);
    const text = await env.call('describe_resource', { name: 'deploy/web', namespace: ns });
    expect(field(text, 'Kind')).toBe('Deployment (apps/v1)');
    expect(field(text, 'Replicas')).toBe(
      `2 desired | ${d.status.updatedReplicas} updated | ${d.status.replicas} total | ${d.status.readyReplicas} ready | ${d.status.availableReplicas} available | 0 unavailable`,
    );
    expect(kd).toMatch(/Replicas:\s+2 desired \| 2 updated \| 2 total \| 2 available \| 0 unavailable/);
    expect(field(text, 'Strategy')).toBe('RollingUpdate (maxSurge 1, maxUnavailable 0)');
    expect(field(text, 'Selector')).toBe('app=web');
    expect(text).toContain('kz-test/note=hello');
    const condRows = section(text, 'Conditions:')
      .slice(1)
      .map((l) =>
        l
          .trim()
          .split(/\s{2,}/)
          .slice(0, 3),
      );
    expect(condRows).toEqual(
      expect.arrayContaining(d.status.conditions.map((c: { type: string; status: string; reason: string }) => [c.type, c.status, c.reason])),
    );
    const newRs = /NewReplicaSet:\s+(\S+)/.exec(kd)![1]!;
    expect(section(text, 'ReplicaSets (newest first):')[1]).toMatch(new RegExp(`^\\s+${newRs}\\s+1\\s+2\\s+2\\s+2\\s`));
    expect(field(text, 'Requests')).toBe('cpu=100m, memory=64Mi');
    expect(field(text, 'Limits')).toBe('memory=128Mi');
    expect(field(text, 'Readiness')).toBe('http-get http://:8080/healthz delay=0s timeout=1s period=5s #success=1 #failure=3');
    expect(kd).toContain('Readiness:  http-get http://:8080/healthz delay=0s timeout=1s period=5s #success=1 #failure=3');
    expect(field(text, 'Liveness')).toBe('tcp-socket :8080 delay=10s timeout=1s period=10s #success=1 #failure=3');
    expect(field(text, 'Environment')).toBe('FOO, MODE (from configMap cfg/mode)');
    const pods = (await env.kubectl(['-n', ns, 'get', 'pods', '-l', 'app=web', '--no-headers', '-o', 'custom-columns=N:.metadata.name']))
      .trim()
      .split('\n')
      .sort();
    const podRows = section(text, 'Pods (2):')
      .slice(1)
      .map((l) => l.trim().split(/\s{2,}/));
    expect(podRows.map((r) => r[0]).sort()).toEqual(pods);
    expect(podRows.every((r) => r[1] === '1/1' && r[2] === 'Running')).toBe(true);
    // the deployment's own events, as kubectl describe lists them
    expect(kd).toMatch(/ScalingReplicaSet\s+\S+\s+deployment-controller\s+Scaled up replica set/);
    expect(text).toMatch(/ScalingReplicaSet\s+Scaled up replica set \S+ from 0 to 2/);
    expect(text).toContain('[with the events of its pods and ReplicaSets: get_events with object deployment/web]');
  });

  it('a node: conditions, capacity, allocated resources and its pods', async () => {
    const webPod = await json(['-n', ns, 'get', 'pods', '-l', 'app=web']);
    const pod = webPod.items[0];
    const nodeName: string = pod.spec.nodeName;
    const node = await json(['get', 'node', nodeName]);
    const kd = await env.kubectl(['describe', 'node', nodeName]);
    const text = await env.call('describe_resource', { kind: 'nodes', name: nodeName });
    expect(field(text, 'Namespace')).toBeUndefined();
    expect(field(text, 'Kind')).toBe('Node (v1)');
    const condRows = section(text, 'Conditions:')
      .slice(1)
      .map((l) =>
        l
          .trim()
          .split(/\s{2,}/)
          .slice(0, 3),
      );
    expect(condRows).toEqual(node.status.conditions.map((c: { type: string; status: string; reason: string }) => [c.type, c.status, c.reason]));
    const cap = section(text, 'Capacity / allocatable:')
      .slice(1)
      .map((l) => l.trim().split(/\s{2,}/));
    for (const [name, value] of Object.entries(node.status.capacity as Record<string, string>)) {
      expect(cap).toContainEqual([name, value, node.status.allocatable[name]]);
      expect(kd).toMatch(new RegExp(`${name}:\\s+${value}`));
    }
    expect(text).toMatch(/Allocated resources \(\d+ non-terminated pods? of 110 allowed/);
    const cpuRow = section(text, 'Allocated resources').find((l) => l.trim().startsWith('cpu'))!;
    expect(cpuRow).toMatch(/cpu\s+(\d+m|\d+) \(\d+%\)/);
    expect(section(text, 'Pods on the node:').some((l) => l.includes(pod.metadata.name) && /\s100m\s+64Mi\s/.test(l))).toBe(true);
    expect(text).toMatch(/RegisteredNode\s+Node \S+ event: Registered Node/);
  });

  it('a service: selector, ports and endpoints as kubectl describe reports them', async () => {
    const kd = await env.kubectl(['-n', ns, 'describe', 'svc', 'web']);
    const text = await env.call('describe_resource', { kind: 'svc', name: 'web', namespace: ns });
    expect(field(text, 'Type')).toBe('ClusterIP');
    expect(field(text, 'Selector')).toBe('app=web');
    expect(field(text, 'Ports')).toBe('http 80/TCP → 8080');
    const svc = await json(['-n', ns, 'get', 'svc', 'web']);
    expect(field(text, 'Cluster IPs')).toBe(svc.spec.clusterIPs.join(', '));
    const kubectlEndpoints = /Endpoints:\s+(\S+)/.exec(kd)![1]!.split(',').sort();
    expect(field(text, 'Endpoints')).toBe('2 ready, 0 not ready');
    const ours = section(text, 'Endpoints:')
      .filter((l) => /^\s{4}\d/.test(l))
      .map((l) => l.trim().split(' ')[0]!)
      .sort();
    expect(ours).toEqual(kubectlEndpoints);
    const orphan = await env.call('describe_resource', { name: 'service/orphan', namespace: ns });
    expect(orphan).toMatch(/Endpoints: <none> — no ready pod matches the selector app=nothing-here/);
  });

  it('a PersistentVolumeClaim: status, class, size, the pods that use it, and why it is Pending', async () => {
    await apply(
      env.info,
      `apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data, namespace: ${ns}}
spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}, storageClassName: kz-no-such-class}
---
apiVersion: v1
kind: Pod
metadata: {name: uses-data, namespace: ${ns}}
spec:
  containers: [{name: c, image: busybox, volumeMounts: [{name: d, mountPath: /data}]}]
  volumes: [{name: d, persistentVolumeClaim: {claimName: data}}]
`,
    );
    const text = await eventually(async () => {
      const t = await env.call('describe_resource', { name: 'pvc/data', namespace: ns });
      return /ProvisioningFailed/.test(t) ? t : '';
    }, 30_000);
    const kd = await env.kubectl(['-n', ns, 'describe', 'pvc', 'data']);
    expect(field(text, 'Status')).toBe(/Status:\s+(\S+)/.exec(kd)![1]);
    expect(field(text, 'Storage class')).toBe('kz-no-such-class');
    expect(field(text, 'Requested')).toBe('1Gi');
    expect(field(text, 'Access modes')).toBe('ReadWriteOnce');
    expect(/Used By:\s+(\S+)/.exec(kd)![1]).toBe('uses-data');
    expect(field(text, 'Used by')).toMatch(/^pod\/uses-data \((Pending|Running)\)$/);
    expect(text).toMatch(/Warning\s+ProvisioningFailed\s+storageclass\.storage\.k8s\.io "kz-no-such-class" not found/);
  });

  it("an Ingress: class, TLS, and each rule's backend with whether its Service has ready endpoints", async () => {
    await apply(
      env.info,
      `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: shop, namespace: ${ns}}
spec:
  ingressClassName: nginx
  tls: [{hosts: [shop.example.com], secretName: shop-tls}]
  rules:
  - host: shop.example.com
    http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
      - {path: /api, pathType: Prefix, backend: {service: {name: api-missing, port: {name: http}}}}
`,
    );
    const text = await env.call('describe_resource', { name: 'ingress/shop', namespace: ns });
    const kd = await env.kubectl(['-n', ns, 'describe', 'ingress', 'shop']);
    expect(kd).toMatch(/\/api\s+api-missing:http \(<error: services "api-missing" not found>\)/);
    const webEndpoints = /\/\s+web:80 \(([^)]*)\)/.exec(kd)![1]!.split(',').length;
    expect(field(text, 'Ingress class')).toBe('nginx');
    expect(section(text, 'TLS:')).toEqual(['  shop-tls terminates shop.example.com']);
    expect(text).toMatch(new RegExp(`shop\\.example\\.com\\s+/\\s+web:80 \\(${webEndpoints} ready endpoints\\)`));
    expect(text).toMatch(/shop\.example\.com\s+\/api\s+api-missing:http \(service "api-missing" not found\)/);
  });

  it('a generic kind (ConfigMap): metadata and its data as YAML; a Secret shows only keys and sizes', async () => {
    const kd = await env.kubectl(['-n', ns, 'describe', 'configmap', 'cfg']);
    const text = await env.call('describe_resource', { kind: 'ConfigMap', name: 'cfg', namespace: ns });
    expect(field(text, 'Kind')).toBe('ConfigMap (v1)');
    expect(field(text, 'Labels')).toBe('tier=config');
    expect(text).not.toContain('last-applied-configuration');
    expect(section(text, 'Data:')).toEqual(['  greeting: hello', '  mode: fast']);
    expect(kd).toMatch(/mode:\n----\nfast/);
    expect(text).toMatch(/Events: <none>/);
    const secret = await env.call('describe_resource', { name: 'secret/creds', namespace: ns });
    expect(secret).not.toContain('s3cr3t');
    expect(secret).not.toContain(Buffer.from('s3cr3t-value').toString('base64'));
    expect(section(secret, 'Data (values hidden')).toEqual(['  password: 12 bytes', '  user: 5 bytes']);
    const ks = await env.kubectl(['-n', ns, 'describe', 'secret', 'creds']);
    expect(ks).toMatch(/password:\s+12 bytes/);
  });

  it('a missing object names near names; unknown kinds and bad arguments name the field', async () => {
    const missing = await env.callRaw('describe_resource', { kind: 'deploy', name: 'wbe', namespace: ns });
    expect(missing.isError).toBe(true);
    expect(missing.text).toMatch(new RegExp(`Deployment "wbe" not found in namespace "${ns}" \\(context "kz-admin"\\)\\. Did you mean: web\\?`));
    const kind = await env.callRaw('describe_resource', { kind: 'deploymnts', name: 'web', namespace: ns });
    expect(kind.isError).toBe(true);
    expect(kind.text).toMatch(/Unknown kind "deploymnts".*deployments\.apps/);
    const noKind = await env.callRaw('describe_resource', { name: 'web', namespace: ns });
    expect(noKind.isError).toBe(true);
    expect(noKind.text).toMatch(/^Error: kind: missing/);
    const clash = await env.callRaw('describe_resource', { kind: 'svc', name: 'deploy/web', namespace: ns });
    expect(clash.isError).toBe(true);
    expect(clash.text).toMatch(/two different kinds/);
    const same = await env.call('describe_resource', { kind: 'deployments.apps', name: 'deploy/web', namespace: ns });
    expect(field(same, 'Kind')).toBe('Deployment (apps/v1)');
    const invalid = await env.callRaw('describe_resource', { kind: 'pod', namespace: ns });
    expect(invalid.isError).toBe(true);
    expect(invalid.text).toMatch(/name/);
  });

  it.skipIf(external)('403 from the restricted context names the user, verb, resource and namespace', async () => {
    const r = await env.callRaw('describe_resource', { name: 'deploy/web', namespace: ns, context: env.info.contexts.restricted });
    expect(r.isError).toBe(true);
    expect(r.text).toMatch(new RegExp(`Forbidden: user "[^"]+" \\(context "kz-restricted"\\) cannot get deployments\\.apps "web" in namespace "${ns}"`));
  });

  it('a StatefulSet and a DaemonSet: replicas, strategy and pods as kubectl reports them', async () => {
    const sts = await json(['-n', ns, 'get', 'sts', 'db']);
    const text = await env.call('describe_resource', { name: 'sts/db', namespace: ns });
    expect(field(text, 'Replicas')).toBe(
      `2 desired | ${sts.status.replicas} current | ${sts.status.updatedReplicas ?? 0} updated | ${sts.status.readyReplicas} ready | ${sts.status.availableReplicas ?? 0} available`,
    );
    expect(field(text, 'Update strategy')).toBe('RollingUpdate (partition 0)');
    expect(field(text, 'Service name')).toBe('db');
    expect(
      section(text, 'Pods (2):')
        .slice(1)
        .map((l) => l.trim().split(/\s{2,}/)[0])
        .sort(),
    ).toEqual(['db-0', 'db-1']);
    const ds = await json(['-n', ns, 'get', 'ds', 'agent']);
    const dt = await env.call('describe_resource', { kind: 'daemonsets', name: 'agent', namespace: ns });
    expect(field(dt, 'Nodes')).toBe(
      `${ds.status.desiredNumberScheduled} desired | ${ds.status.currentNumberScheduled} current | ${ds.status.updatedNumberScheduled} up-to-date | ${ds.status.numberReady} ready | ${ds.status.numberAvailable} available | ${ds.status.numberMisscheduled} misscheduled`,
    );
    const kd = await env.kubectl(['-n', ns, 'describe', 'ds', 'agent']);
    expect(kd).toMatch(new RegExp(`Desired Number of Nodes Scheduled: ${ds.status.desiredNumberScheduled}`));
    const nodes = section(dt, `Pods (${env.info.nodes.length}):`)
      .slice(1)
      .map((l) => l.trim().split(/\s{2,}/)[5])
      .sort();
    expect(nodes).toEqual([...env.info.nodes].sort());
  });

  it("a CronJob: schedule, its Jobs and the newest Job's pods", async () => {
    const text = await env.call('describe_resource', { name: 'cj/nightly', namespace: ns });
    expect(field(text, 'Schedule')).toBe('0 3 * * *');
    expect(field(text, 'Suspended')).toBe('true');
    expect(section(text, 'Jobs (newest first):')[1]).toMatch(/^\s+nightly-manual\s/);
    expect(text).toMatch(/Pods of the newest Job nightly-manual \(1\):\n.*\n\s+nightly-manual-\S+\s/);
  });

  it('a Pending pod shows why in its conditions and events', async () => {
    const text = await env.call('describe_resource', { name: 'pod/stuck', namespace: ns });
    expect(field(text, 'Status')).toBe('Pending (phase Pending)');
    expect(field(text, 'Node')).toBe('<not scheduled>');
    expect(field(text, 'State')).toBe('not created yet');
    expect(section(text, 'Conditions:').find((l) => l.includes('PodScheduled'))).toMatch(
      /PodScheduled\s+False\s+Unschedulable\s+\S+\s+0\/\d+ nodes are available/,
    );
    const events = await eventually(async () => {
      const t = await env.call('describe_resource', { name: 'pod/stuck', namespace: ns });
      return /Warning\s+FailedScheduling/.test(t) ? t : '';
    }, 20_000);
    expect(events).toMatch(/Warning\s+FailedScheduling\s+0\/\d+ nodes are available/);
  });

  it('a custom resource: generic form with spec, status and a conditions table', async () => {
    const text = await env.call('describe_resource', { kind: `gadgets.${crdGroup}`, name: 'g1', namespace: ns });
    expect(field(text, 'Kind')).toBe(`Gadget (${crdGroup}/v1)`);
    expect(section(text, 'Spec:')).toEqual(['  color: blue', '  size: 3']);
    expect(section(text, 'Status:')).toContain('  phase: Degraded');
    expect(section(text, 'Conditions:')[1]).toMatch(/^\s+Ready\s+False\s+Broken\s+\S+\s+the gadget is broken$/);
    expect(text.match(/the gadget is broken/g), 'conditions are shown once, as a table').toHaveLength(1);
  });

  it("a workload's pod template says where its pods may run: node selector, tolerations, affinity", async () => {
    await apply(
      env.info,
      `
apiVersion: apps/v1
kind: Deployment
metadata: {name: placed, namespace: ${ns}}
spec:
  replicas: 1
  selector: {matchLabels: {app: placed}}
  template:
    metadata: {labels: {app: placed}}
    spec:
      nodeSelector: {disktype: ssd}
      tolerations: [{key: dedicated, operator: Equal, value: db, effect: NoSchedule}, {key: spot, operator: Exists}]
      affinity:
        nodeAffinity:
          requiredDuringSchedulingIgnoredDuringExecution:
            nodeSelectorTerms: [{matchExpressions: [{key: zone, operator: In, values: [a, b]}]}]
        podAntiAffinity:
          requiredDuringSchedulingIgnoredDuringExecution: [{labelSelector: {matchLabels: {app: placed}}, topologyKey: kubernetes.io/hostname}]
      containers: [{name: app, image: nginx:1.27}]
`,
    );
    const text = await env.call('describe_resource', { name: 'deploy/placed', namespace: ns });
    const template = section(text, 'Pod template:');
    expect(template).toContain('  Node selector:  disktype=ssd');
    expect(template).toContain('  Tolerations:    dedicated=db:NoSchedule, spot');
    expect(template).toContain('  Affinity:       nodes where zone In [a,b]; away from pods app=placed per kubernetes.io/hostname');
  });

  it('a huge object is summarised within the budget, and says where the rest is', async () => {
    const big = Array.from({ length: 3000 }, (_, i) => `line ${i} ${'x'.repeat(40)}`).join('\n');
    await apply(
      env.info,
      JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'huge', namespace: ns }, data: { blob: big, other: 'small' } }),
    );
    const text = await env.call('describe_resource', { name: 'configmap/huge', namespace: ns });
    expect(Buffer.byteLength(text)).toBeLessThan(48 * 1024);
    expect(text).not.toContain('[truncated:');
    expect(text).toMatch(/… \(\d+ more lines; get_resource_yaml shows all of it\)/);
    expect(text).toMatch(/Events: <none>/);
  });
});
