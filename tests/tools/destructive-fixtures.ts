/**
 * For the destructive-tool tests: a server with the destructive class enabled, a client that
 * answers the person's questions (elicitation), and a KWOK node of the test's own, so cordoning,
 * tainting and draining never touch the shared nodes other test files schedule onto.
 *
 *   const env = await startDestructiveEnv();
 *   const node = await createTestNode(env.info, 'kz-t-drain');   // Ready, tainted kz-test=<name>:NoSchedule
 *   const pod = podOnNode(node, ns, 'web');                      // tolerates that taint, pinned there
 */
import { ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { ClusterInfo } from '../cluster/context.js';
import { connectClient } from '../helpers/server.js';
import { apply, eventually, kubectl, startToolEnv, uniqueName, type ToolEnv } from './helpers.js';

export const ALL_CLASSES = ['read', 'safe-mutation', 'destructive'];

export function startDestructiveEnv(policy: Record<string, unknown> = {}, options: { kubeconfigPaths?: string[] } = {}): Promise<ToolEnv> {
  return startToolEnv({ settings: { policy: { enabledClasses: ALL_CLASSES, ...policy } }, ...options });
}

/** A client with elicitation that answers every question with `answer()`; `asked` collects the questions. */
export async function answeringClient(env: ToolEnv, answer: () => boolean): Promise<{ client: Client; asked: string[] }> {
  const { client } = await connectClient(env.server.url, env.server.token, { elicitation: { form: {} } });
  const asked: string[] = [];
  client.setRequestHandler(ElicitRequestSchema, async (request) => {
    asked.push(request.params.message);
    return { action: 'accept', content: { confirm: answer() } };
  });
  return { client, asked };
}

/**
 * A node of the test's own (KWOK manages every node, so it turns Ready), tainted so only pods that
 * tolerate `kz-test=<name>:NoSchedule` land on it.
 */
export async function createTestNode(info: ClusterInfo, prefix: string): Promise<string> {
  const name = uniqueName(prefix);
  await apply(
    info,
    `apiVersion: v1
kind: Node
metadata:
  name: ${name}
  annotations: {node.alpha.kubernetes.io/ttl: "0", kwok.x-k8s.io/node: fake}
  labels: {kubernetes.io/hostname: ${name}, type: kwok, kz-test-node: ${name}}
spec:
  taints: [{key: kz-test, value: ${name}, effect: NoSchedule}]
status:
  allocatable: {cpu: "32", memory: 256Gi, pods: "110"}
  capacity: {cpu: "32", memory: 256Gi, pods: "110"}
`,
  );
  const ready = await eventually(
    async () => (await kubectl(info, ['get', 'node', name, '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}'], { allowFail: true })) === 'True',
    60_000,
  );
  if (!ready) throw new Error(`test node ${name} did not become Ready`);
  return name;
}

export async function deleteTestNode(info: ClusterInfo, name: string | undefined): Promise<void> {
  if (name) await kubectl(info, ['delete', 'node', name, '--ignore-not-found', '--wait=false'], { allowFail: true });
}

/** The pod-template spec fields that put a pod on `node` and nowhere else. */
export function onNode(node: string): string {
  return `nodeSelector: {kz-test-node: ${node}}
      tolerations: [{key: kz-test, operator: Equal, value: ${node}, effect: NoSchedule}]`;
}

export function deploymentOnNode(node: string, namespace: string, name: string, replicas: number, extra = ''): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}, namespace: ${namespace}}
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec:
      ${onNode(node)}
      containers: [{name: c, image: nginx:1.27}]${extra}
`;
}

/** Names of the pods on `node` (namespace/name), sorted. */
export async function podsOn(info: ClusterInfo, node: string): Promise<string[]> {
  const out = await kubectl(info, [
    'get',
    'pods',
    '-A',
    '--field-selector',
    `spec.nodeName=${node}`,
    '-o',
    'jsonpath={range .items[*]}{.metadata.namespace}/{.metadata.name}{"\\n"}{end}',
  ]);
  return out.split('\n').filter(Boolean).sort();
}

export async function isCordoned(info: ClusterInfo, node: string): Promise<boolean> {
  return (await kubectl(info, ['get', 'node', node, '-o', 'jsonpath={.spec.unschedulable}'])) === 'true';
}
