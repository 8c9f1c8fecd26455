/**
 * exec_in_pod against the real test cluster: the API server upgrades to WebSocket exec and hands
 * the stream to KWOK, whose exec emulation runs the command as a real process on this machine
 * (tests/cluster/kwok-exec.ts). So exit codes, stderr, stdin's end, big outputs and the process
 * ending when the stream closes (timeout, cancellation) are all real; the restricted user's 403 is
 * the API server's own, and the kz-ssh context carries the stream through the SSH bastion.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testCluster } from '../cluster/context.js';
import { textOf } from '../helpers/server.js';
import { answeringClient, startDestructiveEnv } from './destructive-fixtures.js';
import { apply, createNamespaces, deleteNamespaces, eventually, uniqueName, type ToolEnv } from './helpers.js';

const info = testCluster();
const ns = uniqueName('kz-t-exec');
const restrictedPod = uniqueName('kz-t-exec');
let env: ToolEnv;

/** Whether a process whose command line holds `marker` still runs on this machine (where KWOK runs exec). */
async function processRunning(marker: string): Promise<boolean> {
  const out = await promisify(execFile)('pgrep', ['-f', marker]).catch(() => ({ stdout: '' }));
  return out.stdout.trim() !== '';
}

const pod = (name: string, namespace: string, containers: string) => `apiVersion: v1
kind: Pod
metadata: {name: ${name}, namespace: ${namespace}}
spec:
  containers: ${containers}
`;

beforeAll(async () => {
  env = await startDestructiveEnv();
  await createNamespaces(info, ns);
  await apply(
    info,
    `${pod('single', ns, '[{name: app, image: busybox}]')}---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: ${ns}}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: app, image: busybox}, {name: sidecar, image: busybox}]
`,
  );
  if (!info.external) await apply(info, pod(restrictedPod, info.restrictedNamespace!, '[{name: app, image: busybox}]'));
  const running = await eventually(async () => {
    const out = await env.kubectl(['get', 'pods', '-n', ns, '--field-selector', 'status.phase=Running', '-o', 'name']);
    return out.split('\n').filter(Boolean).length === 2;
  }, 60_000);
  expect(running, 'both pods Running').toBe(true);
}, 120_000);

afterAll(async () => {
  await env?.close();
  if (!info.external) await env?.kubectl(['delete', 'pod', restrictedPod, '-n', info.restrictedNamespace!, '--wait=false'], { allowFail: true });
  await deleteNamespaces(info, ns);
});

const exec = (args: Record<string, unknown>) => env.callConfirmed('exec_in_pod', { name: 'single', namespace: ns, ...args });

describe('exec_in_pod', () => {
  it('gives stdout and stderr apart with the exit code, after the person confirmed the exact argv', async () => {
    const r = await exec({ command: ['sh', '-c', 'echo to-out; echo to-err >&2'] });
    expect(r.isError).toBe(false);
    expect(r.questions).toEqual([
      `Run ["sh","-c","echo to-out; echo to-err >&2"] in pod single (container app, namespace ${ns}, context ${info.contexts.admin})?`,
    ]);
    expect(r.text).toBe(
      [
        `Exit code 0: ["sh","-c","echo to-out; echo to-err >&2"] in pod single (container app, namespace ${ns}, context ${info.contexts.admin}).`,
        '--- stdout (7 bytes) ---',
        'to-out',
        '--- stderr (7 bytes) ---',
        'to-err',
      ].join('\n'),
    );
  });

  it('a non-zero exit is an answer with its code, not a failure of the tool', async () => {
    const r = await exec({ command: ['sh', '-c', 'echo partial; exit 3'] });
    expect(r.isError).toBe(false);
    expect(r.text).toMatch(/^Exit code 3: /);
    expect(r.text).toContain('--- stdout (8 bytes) ---\npartial\n--- stderr: (empty) ---');
  });

  // `head -n 2` rather than `cat`: KWOK 0.7.0 copies stdin into the process but never closes the
  // pipe, so a command reading to the end of stdin would wait there (a real kubelet passes the end on).
  it('feeds stdin to the command; the audit log has the argv, never stdin', async () => {
    const r = await exec({ command: ['head', '-n', '2'], stdin: 'secret-ish line 1\nline 2\n' });
    expect(r.isError).toBe(false);
    expect(r.questions[0]).toContain('with 25 bytes on stdin');
    expect(r.text).toContain('--- stdout (25 bytes) ---\nsecret-ish line 1\nline 2');
    const entry = env.server.server.audit.recent(5).find((e) => e.tool === 'exec_in_pod' && e.target === 'single ["head","-n","2"]');
    expect(entry?.outcome).toBe('ok');
    expect(JSON.stringify(env.server.server.audit.recent(50))).not.toContain('secret-ish');
  });

  it('keeps the end of a long output within the budget and says how much was left out', async () => {
    const r = await exec({ command: ['seq', '1', '200000'] });
    expect(r.isError).toBe(false);
    const total = Array.from({ length: 200000 }, (_, i) => `${i + 1}\n`).join('').length;
    expect(r.text).toMatch(new RegExp(`--- stdout \\(${total} bytes; the first \\d+ of ${total} bytes are left out, the end is kept; narrow the command`));
    expect(r.text.endsWith('\n199999\n200000\n--- stderr: (empty) ---')).toBe(true);
    expect(r.text).not.toMatch(/\n1\n2\n3\n/);
    expect(Buffer.byteLength(r.text)).toBeLessThan(48 * 1024);
  });

  it('a timeout closes the stream, the process ends, and the answer says so with what had arrived', async () => {
    const marker = `kz-exec-timeout-${Date.now()}`;
    const r = await exec({ command: ['sh', '-c', `echo started; sleep 300; echo ${marker}`], timeoutSeconds: 2 });
    expect(r.isError).toBe(true);
    expect(r.text).toMatch(/^Error: Timed out after 2s: the command was sent SIGTERM \(SIGKILL 2 s later\) \(the output below is what had arrived\): /);
    expect(r.text).toContain('--- stdout (8 bytes) ---\nstarted');
    expect(await eventually(async () => !(await processRunning(marker)), 15_000, 300)).toBe(true);
  });

  it('cancelling the call closes the stream and ends the process; the audit log says cancelled', async () => {
    const marker = `kz-exec-cancel-${Date.now()}`;
    const { client } = await answeringClient(env, () => true);
    const controller = new AbortController();
    try {
      const call = client
        .callTool({ name: 'exec_in_pod', arguments: { name: 'single', namespace: ns, command: ['sh', '-c', `sleep 300; echo ${marker}`] } }, undefined, {
          signal: controller.signal,
          timeout: 60_000,
        })
        .catch((err: unknown) => err);
      expect(await eventually(() => processRunning(marker), 15_000, 200)).toBe(true);
      controller.abort();
      expect(await call).toBeInstanceOf(Error);
    } finally {
      await client.close();
    }
    expect(await eventually(async () => !(await processRunning(marker)), 15_000, 300)).toBe(true);
    const entry = await eventually(
      async () => env.server.server.audit.recent(10).find((e) => e.tool === 'exec_in_pod' && e.outcome === 'cancelled'),
      10_000,
      200,
    );
    expect(entry?.summary).toMatch(/^Error: Cancelled: the command was sent SIGTERM/);
  });

  it("goes to a workload's running pod and its first container, saying which one it chose", async () => {
    const r = await exec({ name: 'deploy/web', command: ['echo', 'hi'] });
    expect(r.isError).toBe(false);
    expect(r.text).toMatch(new RegExp(`^Exit code 0: \\["echo","hi"\\] in pod web-\\S+ \\(container app, namespace ${ns}, `));
    expect(r.text).toContain('\nDefaulted container "app" out of: app, sidecar.\n');
    const sidecar = await exec({ name: 'deploy/web', container: 'sidecar', command: ['echo', 'hi'] });
    expect(sidecar.text).toMatch(/ \(container sidecar, /);
    const wrong = await env.callRaw('exec_in_pod', { name: 'deploy/web', namespace: ns, container: 'nope', command: ['true'] });
    expect(wrong.text).toMatch(/^Error: container: pod web-\S+ has no container "nope" \(containers: app, sidecar\)/);
  });

  it("a program that does not exist: exit code 127, said in words, with the shell's message", async () => {
    const r = await exec({ command: ['kz-no-such-program'] });
    expect(r.isError).toBe(false);
    expect(r.text).toMatch(/^Exit code 127 \(command not found\): \["kz-no-such-program"\]/);
    expect(r.text).toMatch(/--- stderr \(\d+ bytes\) ---\n.*kz-no-such-program.*not found/);
  });

  it('a pod that does not exist is named before anything is asked', async () => {
    const r = await env.callRaw('exec_in_pod', { name: 'ghost', namespace: ns, command: ['true'] });
    expect(r.isError).toBe(true);
    expect(r.text).toMatch(/^Error: Pod "ghost" not found in namespace "kz-t-exec-/);
    expect(r.text).not.toContain('Needs confirmation');
  });

  it.skipIf(info.external)("the restricted user gets the API server's 403, explained", async () => {
    const r = await env.callConfirmed('exec_in_pod', {
      name: restrictedPod,
      namespace: info.restrictedNamespace!,
      context: info.contexts.restricted!,
      command: ['true'],
    });
    expect(r.isError).toBe(true);
    expect(r.text).toMatch(/Forbidden: user "kz-restricted" .*cannot create pods\/exec/);
    expect(r.text).toContain('kubectl auth can-i create pods/exec -n kz-readonly-ns');
  });

  it.skipIf(info.external)('runs through the SSH-tunnelled context', async () => {
    const r = await exec({ context: info.contexts.ssh!, command: ['sh', '-c', 'echo via-bastion; exit 7'] });
    expect(r.isError).toBe(false);
    expect(r.text).toMatch(new RegExp(`^Exit code 7: .* context ${info.contexts.ssh}\\)\\.\\n--- stdout \\(12 bytes\\) ---\\nvia-bastion`));
  });

  it('the person saying no runs nothing', async () => {
    const marker = `kz-exec-declined-${Date.now()}`;
    const { client, asked } = await answeringClient(env, () => false);
    try {
      const r = await client.callTool({ name: 'exec_in_pod', arguments: { name: 'single', namespace: ns, command: ['sh', '-c', `sleep 5; echo ${marker}`] } });
      expect(textOf(r)).toMatch(/^Error: Not done: the person declined/);
      expect(asked).toHaveLength(1);
      expect(await processRunning(marker)).toBe(false);
    } finally {
      await client.close();
    }
  });
});
