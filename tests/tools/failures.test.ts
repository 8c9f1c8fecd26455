/**
 * Real failure signals from the test cluster (tests/cluster/faults.ts: KWOK stages for the containers,
 * the real kube-scheduler for Pending pods), read the way a person investigating them would, through the
 * MCP tools: each answer must carry the evidence (exit code, reason, restart count, the crash's log line,
 * the scheduler's event). Then the investigate prompt and the /kz:investigate command are followed step
 * by step on a crash-looping pod: what each step's call returns holds what the verdict needs.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { CONTAINER_FAULTS, type FaultName, faultPod } from '../cluster/faults.js';
import { apply, createNamespaces, deleteNamespaces, eventually, startToolEnv, type ToolEnv, uniqueName } from './helpers.js';

const ns = uniqueName('kz-t-fail');
let env: ToolEnv;

const PODS: Record<FaultName, string> = {
  crashloop: 'orders-api',
  oomkilled: 'report-builder',
  imagepull: 'storefront',
  unready: 'checkout',
  unschedulable: 'big-batch',
  'missing-pvc': 'ledger-db',
};

type PodJson = {
  status?: {
    phase?: string;
    containerStatuses?: Array<{ ready?: boolean; restartCount?: number; state?: { waiting?: { reason?: string }; running?: object } }>;
  };
};
const podJson = async (name: string) => JSON.parse(await env.kubectl(['get', 'pod', '-n', ns, name, '-o', 'json'])) as PodJson;
/** The log lines a tool answer carries (the fault's lines are key=value, so they are easy to find). */
const logLines = (text: string) => text.split('\n').filter((l) => l.includes('level='));

beforeAll(async () => {
  env = await startToolEnv();
  await createNamespaces(env.info, ns);
  await apply(env.info, (Object.keys(PODS) as FaultName[]).map((fault) => faultPod(fault, { name: PODS[fault], namespace: ns })).join('---\n'));
  // Settled: every container fault has its final waiting reason (or, unready, runs unready); the
  // Pending pods have their FailedScheduling event.
  const settled = await eventually(async () => {
    for (const fault of Object.values(CONTAINER_FAULTS)) {
      const st = (await podJson(PODS[fault.name])).status?.containerStatuses?.[0];
      if (!st) return false;
      if (fault.waitingReason ? st.state?.waiting?.reason !== fault.waitingReason : !st.state?.running) return false;
    }
    const events = await env.kubectl(['get', 'events', '-n', ns, '--field-selector', 'reason=FailedScheduling', '-o', 'name']);
    return events.trim().split('\n').filter(Boolean).length >= 2;
  }, 60_000);
  if (!settled) throw new Error(`the fault pods of ${ns} did not settle within 60s:\n${await env.kubectl(['get', 'pods,events', '-n', ns])}`);
}, 120_000);
afterAll(async () => {
  await env?.close();
  if (env) await deleteNamespaces(env.info, ns);
});

describe('failures the test cluster produces, read through the tools', () => {
  it("a crash loop: CrashLoopBackOff, the last run's exit code and reason, the restart count, the crash in the logs", async () => {
    const f = CONTAINER_FAULTS.crashloop;
    const pod = `pod/${PODS.crashloop}`;
    const described = await env.call('describe_resource', { name: pod, namespace: ns });
    expect(described).toMatch(/State: +Waiting \(CrashLoopBackOff\) — back-off 2m40s restarting failed container=crashloop/);
    expect(described).toMatch(/Last state: +Terminated \(Error, exit code 1,/);
    expect(described).toMatch(/Restarts: +5/);
    expect(described).toContain('Back-off restarting failed container');

    // The crash is in the previous run's log, as a person finds it with kubectl logs --previous.
    const previous = await env.call('get_pod_logs', { name: pod, namespace: ns, previous: true });
    expect(logLines(previous)).toEqual(f.previousLogLines);
    expect(previous).toContain(f.tellingLine!);
    const kubectlPrevious = await env.kubectl(['logs', '-n', ns, PODS.crashloop, '--previous']);
    expect(logLines(previous)).toEqual(kubectlPrevious.trim().split('\n'));
    const current = await env.call('get_pod_logs', { name: pod, namespace: ns });
    expect(logLines(current)).toEqual(f.logLines);

    const warnings = await env.call('get_events', { object: pod, namespace: ns, type: 'Warning' });
    expect(warnings).toMatch(/BackOff/);
    expect(warnings).toContain('Back-off restarting failed container');

    // In a list, as kubectl get pods shows it: STATUS CrashLoopBackOff, RESTARTS 5, 0/1 ready.
    const listed = await env.call('list_resources', { kind: 'pods', namespace: ns, labelSelector: `app=${PODS.crashloop}` });
    expect(listed).toMatch(new RegExp(`${PODS.crashloop} +0/1 +CrashLoopBackOff +5`));
  });

  it('an OOM kill: reason OOMKilled and exit code 137 in the last state, the log cut off mid-work', async () => {
    const pod = `pod/${PODS.oomkilled}`;
    const described = await env.call('describe_resource', { name: pod, namespace: ns });
    expect(described).toMatch(/Last state: +Terminated \(OOMKilled, exit code 137,/);
    expect(described).toMatch(/Restarts: +3/);
    expect(described).toMatch(/Limits: +memory[:=]? ?256Mi/);
    const previous = await env.call('get_pod_logs', { name: pod, namespace: ns, previous: true });
    expect(logLines(previous).at(-1)).toBe(CONTAINER_FAULTS.oomkilled.tellingLine);
  });

  it('an image that cannot be pulled: ErrImagePull, then ImagePullBackOff, with the image named', async () => {
    const pod = `pod/${PODS.imagepull}`;
    const described = await env.call('describe_resource', { name: pod, namespace: ns });
    expect(described).toMatch(/State: +Waiting \(ImagePullBackOff\) — Back-off pulling image "registry\.example\.com\/shop\/app:does-not-exist"/);
    const warnings = await env.call('get_events', { object: pod, namespace: ns, type: 'Warning' });
    expect(warnings).toContain('Error: ErrImagePull');
    expect(warnings).toContain('Error: ImagePullBackOff');
    const listed = await env.call('list_resources', { kind: 'pods', namespace: ns, labelSelector: `app=${PODS.imagepull}` });
    expect(listed).toMatch(new RegExp(`${PODS.imagepull} +0/1 +ImagePullBackOff +0`));
  });

  it('a failing readiness probe: Running but not Ready, the probe failure event, the 503 in the log', async () => {
    const pod = `pod/${PODS.unready}`;
    expect((await podJson(PODS.unready)).status?.phase).toBe('Running');
    const described = await env.call('describe_resource', { name: pod, namespace: ns });
    expect(described).toMatch(/Ready: +false/);
    expect(described).toMatch(/Readiness: +http-get .*\/ready/);
    const warnings = await env.call('get_events', { object: pod, namespace: ns, type: 'Warning' });
    expect(warnings).toContain('Readiness probe failed: HTTP probe failed with statuscode: 503');
    const logs = await env.call('get_pod_logs', { name: pod, namespace: ns });
    expect(logs).toContain(CONTAINER_FAULTS.unready.tellingLine!);
    const listed = await env.call('list_resources', { kind: 'pods', namespace: ns, labelSelector: `app=${PODS.unready}` });
    expect(listed).toMatch(new RegExp(`${PODS.unready} +0/1 +Running +0`));
  });

  it('Pending for lack of resources: the scheduler says how many nodes have too little CPU', async () => {
    const pod = `pod/${PODS.unschedulable}`;
    expect((await podJson(PODS.unschedulable)).status?.phase).toBe('Pending');
    const events = await env.call('get_events', { object: pod, namespace: ns, type: 'Warning' });
    expect(events).toMatch(/FailedScheduling/);
    expect(events).toMatch(/0\/3 nodes are available: 3 Insufficient cpu/);
    const described = await env.call('describe_resource', { name: pod, namespace: ns });
    expect(described).toMatch(/Insufficient cpu/);
    expect(described).toMatch(/Requests: +cpu[:=]? ?64/);
  });

  it('Pending for a missing PersistentVolumeClaim: the scheduler names the claim', async () => {
    const pod = `pod/${PODS['missing-pvc']}`;
    const events = await env.call('get_events', { object: pod, namespace: ns, type: 'Warning' });
    expect(events).toMatch(/FailedScheduling/);
    expect(events).toContain(`persistentvolumeclaim "${PODS['missing-pvc']}-data" not found`);
  });

  it('pods without the fault label are untouched: they run and are ready, whatever their container is called', async () => {
    await apply(env.info, `apiVersion: v1\nkind: Pod\nmetadata: {name: healthy, namespace: ${ns}}\nspec: {containers: [{name: crashloop, image: busybox}]}\n`);
    const running = await eventually(async () => (await podJson('healthy')).status?.containerStatuses?.[0]?.ready === true, 30_000);
    expect(running).toBe(true);
    // A container named like a fault still logs that fault's lines (logs are chosen by container name),
    // but its status is healthy: the label alone decides the status.
    expect((await podJson('healthy')).status?.containerStatuses?.[0]?.restartCount).toBe(0);
  });
});

/**
 * What the routine's step 1 says for a workload: describe one of its failing pods too. The pod is the first
 * row of the "Pods (N):" table describe_resource prints for a workload.
 */
function podOfWorkload(described: string): string | undefined {
  const table = described.slice(described.indexOf('Pods ('));
  return /\n {2}NAME[^\n]*\n {2}(\S+)/.exec(table)?.[1];
}

describe.each([
  ['a crash-looping pod', `pod/${PODS.crashloop}`],
  ['a Deployment whose pods crash-loop', 'deploy/orders'],
])('the investigate routine on %s', (_what, target) => {
  const f = CONTAINER_FAULTS.crashloop;
  /** What the verdict needs, whichever step brings it: the state, the exit code and reason, the restarts, the crash line, the event. */
  const evidence = [
    /CrashLoopBackOff/,
    /Terminated \(Error, exit code 1,/,
    /Restarts: +5/,
    new RegExp(f.tellingLine!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')),
    /Back-off restarting failed container/,
  ];
  const workload = target.startsWith('deploy/');

  beforeAll(async () => {
    if (!workload) return;
    // Built from the fault's pod, so the template carries the fault label and the fault-named container.
    const pod = parseYaml(faultPod('crashloop', { name: 'orders', namespace: ns })) as { metadata: { labels: Record<string, string> }; spec: unknown };
    await apply(
      env.info,
      JSON.stringify({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'orders', namespace: ns },
        spec: { replicas: 2, selector: { matchLabels: { app: 'orders' } }, template: { metadata: { labels: pod.metadata.labels }, spec: pod.spec } },
      }),
    );
    const looping = await eventually(async () => {
      const out = await env.kubectl([
        'get',
        'pods',
        '-n',
        ns,
        '-l',
        'app=orders',
        '-o',
        'jsonpath={.items[*].status.containerStatuses[0].state.waiting.reason}',
      ]);
      return (
        out
          .trim()
          .split(' ')
          .filter((r) => r === 'CrashLoopBackOff').length === 2
      );
    }, 60_000);
    if (!looping) throw new Error('the Deployment orders did not crash-loop within 60s');
  }, 90_000);

  /** Runs the calls, and for a workload the describe of its first pod that step 1 asks for. */
  async function run(calls: { tool: string; args: Record<string, unknown> }[]): Promise<string[]> {
    const answers = await Promise.all(calls.map((c) => env.call(c.tool, c.args)));
    if (workload) {
      const pod = podOfWorkload(answers[calls.findIndex((c) => c.tool === 'describe_resource')]!);
      expect(pod, 'the workload describe names its pods').toMatch(/^orders-/);
      answers.push(await env.call('describe_resource', { name: `pod/${pod}`, namespace: ns }));
    }
    return answers;
  }

  it('the prompt: every call it spells out runs as written, and their answers hold all the evidence', async () => {
    const prompt = await env.client.getPrompt({ name: 'investigate', arguments: { target, namespace: ns } });
    const text = (prompt.messages[0]!.content as { text: string }).text;
    // The calls are written as `tool({json args})`; step 3 adds "previous": true for a restarted container.
    const calls = [...text.matchAll(/`(\w+)\((\{[^`]*\})\)`/g)].map((m) => ({ tool: m[1]!, args: JSON.parse(m[2]!) as Record<string, unknown> }));
    expect(calls.map((c) => c.tool)).toEqual(['describe_resource', 'get_events', 'get_pod_logs']);
    expect(text).toMatch(/"previous": true/);
    expect(text).toMatch(/describe one of them too/);
    const logs = calls.find((c) => c.tool === 'get_pod_logs')!;
    calls.push({ tool: 'get_pod_logs', args: { ...logs.args, previous: true } });
    const answers = await run(calls);
    for (const e of evidence) expect(answers.join('\n'), `no step's answer shows ${e}`).toMatch(e);
    // The crash line comes from the logs of the previous run (where step 3 says to look).
    expect(answers[calls.length - 1]).toContain(f.tellingLine!);
  });

  it('/kz:investigate: its gathering calls, given the target, answer with the same evidence', async () => {
    const md = readFileSync(fileURLToPath(new URL('../../plugin/kz-marketplace/kz/commands/investigate.md', import.meta.url)), 'utf8');
    const gathering = md.slice(md.indexOf('## Gathering'), md.indexOf('## Answer'));
    expect(gathering).toMatch(/describe one of them as well/);
    // `mcp__kubezilla__tool(name, type: "Warning", namespace?, context?)`: values written in the command
    // are used as written; the target fills `name`/`object`, the namespace `namespace`; context is left out.
    const fill: Record<string, unknown> = { name: target, object: target, namespace: ns };
    const calls = [...gathering.matchAll(/mcp__kubezilla__(\w+)\(([^)]*)\)/g)].map((m) => {
      const args: Record<string, unknown> = {};
      for (const part of m[2]!.split(',').map((p) => p.trim())) {
        const written = /^(\w+): (.+)$/.exec(part);
        if (written) args[written[1]!] = JSON.parse(written[2]!);
        else if (/^\w+\??$/.test(part) && fill[part.replace('?', '')] !== undefined) args[part.replace('?', '')] = fill[part.replace('?', '')];
      }
      return { tool: m[1]!, args };
    });
    // Steps 1-3 (the rest is for configuration, scheduling and resource problems).
    const forTarget = calls.filter((c) => ['describe_resource', 'get_events', 'get_pod_logs'].includes(c.tool)).slice(0, 4);
    expect(forTarget.map((c) => c.tool)).toEqual(['describe_resource', 'get_events', 'get_pod_logs', 'get_pod_logs']);
    expect(forTarget[3]!.args.previous).toBe(true);
    const answers = await run(forTarget);
    for (const e of evidence) expect(answers.join('\n'), `no /kz:investigate step shows ${e}`).toMatch(e);
  });
});
