/**
 * Everyday Kubernetes jobs, modelled on public agent-benchmark tasks, each as an agent would do it
 * with Kubezilla's tools alone: set up with kubectl, solved through MCP tool calls (the calls a
 * careful agent makes, each answer checked for the evidence the next step needs), verified with
 * kubectl. tests/scenarios/scenarios.test.ts runs them; `npm run bench:scenarios` reports the
 * calls and answer bytes each needed, so an answer that grows or a job that takes more calls shows.
 *
 * Plain node:assert rather than vitest's expect: the benchmark runs these outside vitest.
 */
import assert from 'node:assert/strict';
import { CONTAINER_FAULTS, faultPod } from '../cluster/faults.js';
import type { ClusterInfo } from '../cluster/harness.js';

export interface ScenarioRun {
  info: ClusterInfo;
  /** The scenario's own namespace, created before setup and deleted after. */
  ns: string;
  /** A tool call through MCP; throws with the tool's text on an error result. Counted. */
  call(tool: string, args: Record<string, unknown>): Promise<string>;
  /** The same, returning error results instead of throwing. Counted. */
  callRaw(tool: string, args: Record<string, unknown>): Promise<{ isError: boolean; text: string }>;
  kubectl(args: string[], opts?: { input?: string }): Promise<string>;
  helm(args: string[]): Promise<string>;
}

export interface Scenario {
  name: string;
  /** The job as a person would ask for it. */
  task: string;
  /**
   * What the solution may cost an agent (bench/scenarios.bench.ts judges it): tool calls, and
   * bytes of answers, about a quarter above what it takes today so that noise (names, ages) passes
   * and a longer answer does not.
   */
  budget: { calls: number; bytes: number };
  setup(run: ScenarioRun): Promise<void>;
  solve(run: ScenarioRun): Promise<void>;
  verify(run: ScenarioRun): Promise<void>;
}

const PAUSE = 'registry.k8s.io/pause:3.10';

const deployment = (ns: string, name: string, opts: { replicas?: number; labels?: Record<string, string>; image?: string; cpu?: string } = {}) => {
  const labels = opts.labels ?? { app: name };
  const flow = JSON.stringify(labels);
  const resources = opts.cpu ? `, resources: {requests: {cpu: "${opts.cpu}"}}` : '';
  return `apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}, namespace: ${ns}, labels: ${flow}}
spec:
  replicas: ${opts.replicas ?? 1}
  selector: {matchLabels: ${flow}}
  template:
    metadata: {labels: ${flow}}
    spec: {containers: [{name: app, image: "${opts.image ?? PAUSE}"${resources}}]}
`;
};

/** kubectl apply of a manifest (client-side, as a person or a CI job set things up). */
const applied = async (run: ScenarioRun, manifest: string): Promise<void> => {
  await run.kubectl(['apply', '-f', '-'], { input: manifest });
};

/**
 * apply_yaml as an agent uses it: when the answer is a field-ownership conflict on a change the
 * person asked for, the same call again with forceConflicts, as the answer says to.
 */
async function applyAsAgent(run: ScenarioRun, manifest: string): Promise<string> {
  const first = await run.callRaw('apply_yaml', { manifest });
  if (!first.isError) return first.text;
  assert.match(first.text, /forceConflicts/);
  return run.call('apply_yaml', { manifest, forceConflicts: true });
}

/** Polls a kubectl jsonpath every half second until it matches `pattern`, for at most `seconds`. */
async function untilKubectlShows(run: ScenarioRun, args: string[], path: string, pattern: RegExp, seconds: number): Promise<void> {
  for (let i = 0; i < seconds * 2; i++) {
    if (pattern.test(await jsonpath(run, args, path))) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`kubectl ${args.join(' ')} never showed ${pattern} at ${path}`);
}

/** Waits until the pod's container waits in `reason` (the test cluster plays faults a moment after scheduling). */
const waitingFor = (run: ScenarioRun, pod: string, reason: RegExp) =>
  untilKubectlShows(run, ['get', 'pod', pod], '{.status.containerStatuses[0].state.waiting.reason}', reason, 60);

const jsonpath = (run: ScenarioRun, args: string[], path: string) => run.kubectl([...args, '-n', run.ns, '-o', `jsonpath=${path}`]);

export const SCENARIOS: Scenario[] = [
  {
    name: 'crash-loop',
    task: 'The worker pod keeps restarting. Say how it exits and the error it logs before it dies.',
    budget: { calls: 2, bytes: 3000 },
    async setup(run) {
      await applied(run, faultPod('crashloop', { name: 'worker', namespace: run.ns }));
      await waitingFor(run, 'worker', /CrashLoopBackOff/);
    },
    async solve(run) {
      const described = await run.call('describe_resource', { kind: 'pod', name: 'worker', namespace: run.ns });
      assert.match(described, /CrashLoopBackOff/);
      assert.match(described, /Terminated \(Error, exit code 1\b/);
      const logs = await run.call('get_pod_logs', { name: 'worker', namespace: run.ns, previous: true });
      assert.ok(logs.includes(CONTAINER_FAULTS.crashloop.tellingLine!), logs);
    },
    async verify(run) {
      assert.equal(await jsonpath(run, ['get', 'pod', 'worker'], '{.status.containerStatuses[0].lastState.terminated.exitCode}'), '1');
    },
  },
  {
    name: 'image-pull',
    task: 'The web pod never starts. Find out which image cannot be pulled.',
    budget: { calls: 2, bytes: 3000 },
    async setup(run) {
      await applied(run, faultPod('imagepull', { name: 'web', namespace: run.ns }));
      await waitingFor(run, 'web', /ImagePullBackOff|ErrImagePull/);
    },
    async solve(run) {
      assert.match(await run.call('list_resources', { kind: 'pods', namespace: run.ns }), /web\s+0\/1\s+(ImagePullBackOff|ErrImagePull)/);
      const described = await run.call('describe_resource', { kind: 'pod', name: 'web', namespace: run.ns });
      assert.match(described, /registry\.example\.com\/shop\/app:does-not-exist/);
      assert.match(described, /ImagePullBackOff|ErrImagePull/);
    },
    async verify(run) {
      assert.equal(await jsonpath(run, ['get', 'pod', 'web'], '{.spec.containers[0].image}'), 'registry.example.com/shop/app:does-not-exist');
    },
  },
  {
    name: 'pending-pod',
    task: 'The api deployment never becomes ready. Find out why and make it run (it needs at most 100m CPU).',
    budget: { calls: 5, bytes: 3100 },
    async setup(run) {
      await applied(run, deployment(run.ns, 'api', { cpu: '64' }));
      // The ReplicaSet controller creates the pod a moment later.
      await untilKubectlShows(run, ['get', 'pods', '-l', 'app=api'], '{.items[*].metadata.name}', /\S/, 30);
    },
    async solve(run) {
      const pods = await run.call('list_resources', { kind: 'pods', namespace: run.ns });
      assert.match(pods, /api-\S+\s+0\/1\s+Pending/);
      const pod = /^(api-\S+)/m.exec(pods)![1]!;
      const described = await run.call('describe_resource', { kind: 'pod', name: pod, namespace: run.ns });
      assert.match(described, /FailedScheduling.*Insufficient cpu/s);
      await applyAsAgent(run, deployment(run.ns, 'api', { cpu: '100m' }));
      assert.match(await run.call('wait_for', { name: 'deploy/api', namespace: run.ns, timeoutSeconds: 120 }), / rolled out: /);
    },
    async verify(run) {
      assert.equal(await jsonpath(run, ['get', 'deploy', 'api'], '{.status.readyReplicas}'), '1');
      assert.equal(await jsonpath(run, ['get', 'deploy', 'api'], '{.spec.template.spec.containers[0].resources.requests.cpu}'), '100m');
    },
  },
  {
    name: 'service-without-endpoints',
    task: 'The web service has no endpoints, although the web pods run. Fix it.',
    budget: { calls: 5, bytes: 2500 },
    async setup(run) {
      await applied(run, deployment(run.ns, 'web', { replicas: 2 }));
      await applied(run, `apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: ${run.ns}}\nspec: {selector: {app: wbe}, ports: [{port: 80}]}\n`);
      await run.kubectl(['-n', run.ns, 'rollout', 'status', 'deploy/web', '--timeout=120s']);
    },
    async solve(run) {
      const svc = await run.call('describe_resource', { kind: 'svc', name: 'web', namespace: run.ns });
      assert.match(svc, /app=wbe/);
      assert.match(svc, /Endpoints:\s+<none>/);
      const pods = await run.call('list_resources', { kind: 'pods', namespace: run.ns, labelSelector: 'app=web' });
      assert.equal(pods.match(/Running/g)?.length, 2);
      await applyAsAgent(
        run,
        `apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: ${run.ns}}\nspec: {selector: {app: web}, ports: [{port: 80}]}\n`,
      );
      assert.doesNotMatch(await run.call('describe_resource', { kind: 'svc', name: 'web', namespace: run.ns }), /Endpoints:\s+<none>/);
    },
    async verify(run) {
      const ips = await jsonpath(run, ['get', 'endpoints', 'web'], '{.subsets[*].addresses[*].ip}');
      assert.equal(ips.split(/\s+/).filter(Boolean).length, 2);
    },
  },
  {
    name: 'rbac-grant',
    task: 'The reader service account must be able to list pods in its namespace, nothing more.',
    budget: { calls: 2, bytes: 700 },
    setup: (run) => run.kubectl(['-n', run.ns, 'create', 'serviceaccount', 'reader']).then(() => undefined),
    async solve(run) {
      await run.call('apply_yaml', {
        manifest: `apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: pod-reader, namespace: ${run.ns}}
rules: [{apiGroups: [""], resources: [pods], verbs: [get, list, watch]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: reader-pods, namespace: ${run.ns}}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: pod-reader}
subjects: [{kind: ServiceAccount, name: reader, namespace: ${run.ns}}]
`,
      });
      // The self-check an agent makes: ask the API server as the service account.
      const review = await run.call('apply_yaml', {
        manifest: `apiVersion: authorization.k8s.io/v1
kind: SubjectAccessReview
spec:
  user: system:serviceaccount:${run.ns}:reader
  groups: [system:serviceaccounts]
  resourceAttributes: {verb: list, resource: pods, namespace: ${run.ns}}
`,
      });
      assert.match(review, /allowed: true/);
    },
    async verify(run) {
      const as = `--as=system:serviceaccount:${run.ns}:reader`;
      assert.equal((await run.kubectl(['auth', 'can-i', 'list', 'pods', '-n', run.ns, as])).trim(), 'yes');
      assert.equal((await run.kubectl(['auth', 'can-i', 'delete', 'pods', '-n', run.ns, as]).catch((e: Error) => e.message)).includes('yes'), false);
    },
  },
  {
    name: 'rolling-update',
    task: 'Roll the web deployment to image registry.k8s.io/pause:3.9 and confirm the rollout finished.',
    budget: { calls: 4, bytes: 3200 },
    setup: (run) => applied(run, deployment(run.ns, 'web', { replicas: 3 })),
    async solve(run) {
      const described = await run.call('describe_resource', { kind: 'deploy', name: 'web', namespace: run.ns });
      assert.match(described, /app:\s*\n?\s*Image:\s+registry\.k8s\.io\/pause:3\.10/);
      await applyAsAgent(
        run,
        `apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: ${run.ns}}\nspec: {template: {spec: {containers: [{name: app, image: "registry.k8s.io/pause:3.9"}]}}}\n`,
      );
      assert.match(await run.call('wait_for', { name: 'deploy/web', namespace: run.ns, timeoutSeconds: 120 }), / rolled out: /);
    },
    async verify(run) {
      assert.equal(await jsonpath(run, ['get', 'deploy', 'web'], '{.spec.template.spec.containers[0].image}'), 'registry.k8s.io/pause:3.9');
      assert.equal(await jsonpath(run, ['get', 'deploy', 'web'], '{.status.updatedReplicas}'), '3');
    },
  },
  {
    name: 'canary-switch',
    task: 'Send the web service traffic to the canary pods instead of the stable ones.',
    budget: { calls: 3, bytes: 1600 },
    async setup(run) {
      await applied(run, deployment(run.ns, 'web-stable', { labels: { app: 'web', track: 'stable' } }));
      await applied(run, deployment(run.ns, 'web-canary', { labels: { app: 'web', track: 'canary' } }));
      await applied(
        run,
        `apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: ${run.ns}}\nspec: {selector: {app: web, track: stable}, ports: [{port: 80}]}\n`,
      );
    },
    async solve(run) {
      assert.match(await run.call('describe_resource', { kind: 'svc', name: 'web', namespace: run.ns }), /track=stable/);
      await applyAsAgent(
        run,
        `apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: ${run.ns}}\nspec: {selector: {app: web, track: canary}, ports: [{port: 80}]}\n`,
      );
    },
    async verify(run) {
      assert.equal(await jsonpath(run, ['get', 'svc', 'web'], '{.spec.selector.track}'), 'canary');
      const canaryIps = await jsonpath(run, ['get', 'pods', '-l', 'track=canary'], '{.items[*].status.podIP}');
      const endpointIps = await jsonpath(run, ['get', 'endpoints', 'web'], '{.subsets[*].addresses[*].ip}');
      assert.ok(canaryIps.trim());
      assert.equal(endpointIps.trim(), canaryIps.trim());
    },
  },
  {
    name: 'autoscale',
    task: 'Autoscale the web deployment between 2 and 5 replicas at 60% CPU.',
    budget: { calls: 2, bytes: 900 },
    setup: (run) => applied(run, deployment(run.ns, 'web', { cpu: '100m' })),
    async solve(run) {
      await run.call('apply_yaml', {
        manifest: `apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: web, namespace: ${run.ns}}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  minReplicas: 2
  maxReplicas: 5
  metrics: [{type: Resource, resource: {name: cpu, target: {type: Utilization, averageUtilization: 60}}}]
`,
      });
      assert.match(await run.call('describe_resource', { kind: 'hpa', name: 'web', namespace: run.ns }), /min ?replicas:?\s+2\b/i);
    },
    async verify(run) {
      assert.equal(
        await jsonpath(run, ['get', 'hpa', 'web'], '{.spec.minReplicas} {.spec.maxReplicas} {.spec.metrics[0].resource.target.averageUtilization}'),
        '2 5 60',
      );
    },
  },
  {
    name: 'network-policy',
    task: 'Only pods labelled app=frontend may reach the db pods, and only on port 5432.',
    budget: { calls: 2, bytes: 900 },
    setup: (run) => applied(run, deployment(run.ns, 'db')),
    async solve(run) {
      await run.call('apply_yaml', {
        manifest: `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db-from-frontend, namespace: ${run.ns}}
spec:
  podSelector: {matchLabels: {app: db}}
  policyTypes: [Ingress]
  ingress: [{from: [{podSelector: {matchLabels: {app: frontend}}}], ports: [{protocol: TCP, port: 5432}]}]
`,
      });
      assert.match(await run.call('describe_resource', { kind: 'netpol', name: 'db-from-frontend', namespace: run.ns }), /5432/);
    },
    async verify(run) {
      assert.equal(
        await jsonpath(
          run,
          ['get', 'netpol', 'db-from-frontend'],
          '{.spec.podSelector.matchLabels.app} {.spec.ingress[0].from[0].podSelector.matchLabels.app} {.spec.ingress[0].ports[0].port}',
        ),
        'db frontend 5432',
      );
    },
  },
  {
    name: 'scale-up-and-down',
    task: 'Scale web to 5 replicas for the load test, then back to 1 once it is over.',
    budget: { calls: 4, bytes: 1000 },
    setup: (run) => applied(run, deployment(run.ns, 'web')),
    async solve(run) {
      await run.call('scale', { resource: 'deploy/web', replicas: 5, namespace: run.ns });
      assert.match(await run.call('wait_for', { name: 'deploy/web', namespace: run.ns, timeoutSeconds: 120 }), / rolled out: /);
      await run.call('scale', { resource: 'deploy/web', replicas: 1, namespace: run.ns });
      await run.call('wait_for', { name: 'deploy/web', namespace: run.ns, timeoutSeconds: 120 });
    },
    async verify(run) {
      assert.equal(await jsonpath(run, ['get', 'deploy', 'web'], '{.spec.replicas} {.status.replicas}'), '1 1');
    },
  },
  {
    name: 'helm-install-values',
    task: 'Install the kz-demo chart from the team repository as release demo, with a single replica.',
    budget: { calls: 2, bytes: 700 },
    setup: async () => undefined,
    async solve(run) {
      const values = await run.call('helm_show', { chart: 'kz-demo', repo: run.info.charts.repoUrl, show: 'values' });
      assert.match(values, /^replicaCount: \d+$/m);
      await run.call('helm_install', { release: 'demo', chart: 'kz-demo', repo: run.info.charts.repoUrl, values: 'replicaCount: 1', namespace: run.ns });
    },
    async verify(run) {
      assert.equal(await jsonpath(run, ['get', 'deploy', 'demo-kz-demo'], '{.spec.replicas}'), '1');
      assert.match(await run.helm(['-n', run.ns, 'get', 'values', 'demo']), /replicaCount: 1/);
    },
  },
  {
    name: 'helm-rollback',
    task: 'The last upgrade of release demo broke it. Put the previous revision back.',
    budget: { calls: 2, bytes: 800 },
    async setup(run) {
      const chart = (v: string) => run.info.charts.paths['kz-demo']![v]!;
      await run.helm(['-n', run.ns, 'install', 'demo', chart('0.1.0')]);
      await run.helm(['-n', run.ns, 'upgrade', 'demo', chart('0.2.0'), '--set', 'replicaCount=0']);
    },
    async solve(run) {
      const history = await run.call('get_helm_history', { release: 'demo', namespace: run.ns });
      assert.match(history, /^1\s.*superseded.*kz-demo-0\.1\.0/im);
      assert.match(history, /^2\s.*deployed.*kz-demo-0\.2\.0/im);
      await run.call('helm_rollback', { release: 'demo', revision: 1, namespace: run.ns });
    },
    async verify(run) {
      const history = await run.helm(['-n', run.ns, 'history', 'demo', '-o', 'json']);
      const last = (JSON.parse(history) as Array<{ revision: number; status: string; chart: string }>).at(-1)!;
      assert.deepEqual([last.revision, last.status, last.chart], [3, 'deployed', 'kz-demo-0.1.0']);
      assert.equal(await jsonpath(run, ['get', 'deploy', 'demo-kz-demo'], '{.spec.replicas}'), '2');
    },
  },
  {
    name: 'rollout-restart',
    task: 'The web pods must pick up a changed ConfigMap: restart them and wait until they are all back.',
    budget: { calls: 2, bytes: 700 },
    setup: (run) => applied(run, deployment(run.ns, 'web', { replicas: 2 })),
    async solve(run) {
      await run.call('rollout_restart', { resource: 'deploy/web', namespace: run.ns });
      assert.match(await run.call('wait_for', { name: 'deploy/web', namespace: run.ns, timeoutSeconds: 120 }), / rolled out: /);
    },
    async verify(run) {
      assert.ok(await jsonpath(run, ['get', 'deploy', 'web'], '{.spec.template.metadata.annotations.kubectl\\.kubernetes\\.io/restartedAt}'));
      assert.equal(await jsonpath(run, ['get', 'deploy', 'web'], '{.status.updatedReplicas}'), '2');
    },
  },
  {
    name: 'job-to-completion',
    task: 'Run the one-off migrate job and confirm it completed.',
    budget: { calls: 2, bytes: 300 },
    setup: async () => undefined,
    async solve(run) {
      await run.call('apply_yaml', {
        manifest: `apiVersion: batch/v1
kind: Job
metadata: {name: migrate, namespace: ${run.ns}}
spec:
  backoffLimit: 0
  template: {spec: {restartPolicy: Never, containers: [{name: migrate, image: "${PAUSE}"}]}}
`,
      });
      assert.match(await run.call('wait_for', { name: 'job/migrate', for: 'condition=Complete', namespace: run.ns, timeoutSeconds: 120 }), /Complete/);
    },
    async verify(run) {
      assert.equal(await jsonpath(run, ['get', 'job', 'migrate'], '{.status.succeeded}'), '1');
    },
  },
];
