/**
 * A real kube-apiserver (a replica of the test cluster's, over the same etcd) frozen with SIGSTOP
 * and killed with SIGKILL, as an operator's cluster hangs or dies: every call gets a clear tool
 * error that names the context and what happened, the other contexts keep answering meanwhile,
 * and the same session's calls succeed again once the API server is back. The hang's wait is
 * bounded by the stated request timeout (2 s here), not by the client's patience.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testCluster } from '../cluster/context.js';
import { type ApiServerReplica, startApiServerReplica } from '../cluster/replica.js';
import { startToolEnv, type ToolEnv } from '../tools/helpers.js';

const info = testCluster();
let replica: ApiServerReplica;
let env: ToolEnv;
let savedTimeout: string | undefined;

beforeAll(async () => {
  replica = await startApiServerReplica(info);
  savedTimeout = process.env.KUBEZILLA_REQUEST_TIMEOUT_MS;
  process.env.KUBEZILLA_REQUEST_TIMEOUT_MS = '2000';
  env = await startToolEnv({ kubeconfigPaths: [info.kubeconfig, replica.kubeconfig] });
}, 180_000);

afterAll(async () => {
  if (savedTimeout === undefined) delete process.env.KUBEZILLA_REQUEST_TIMEOUT_MS;
  else process.env.KUBEZILLA_REQUEST_TIMEOUT_MS = savedTimeout;
  await env?.close();
  await replica?.stop();
});

const onReplica = { context: 'kz-replica', namespace: 'default' };

/** The replica answers as the cluster does: the same namespaces, through discovery and a list. */
async function expectAnswers(): Promise<void> {
  expect(await env.call('list_namespaces', { context: 'kz-replica' })).toMatch(/^default\s/m);
  expect(await env.call('list_resources', { ...onReplica, kind: 'serviceaccounts' })).toMatch(/^default\s/m);
}

/** A call to a healthy context, made while the replica is broken, answers as usual. */
async function expectOtherContextAnswers(): Promise<void> {
  expect(await env.call('list_namespaces', { context: info.contexts.admin })).toMatch(/^default\s/m);
}

describe('a real API server that hangs or dies', () => {
  it('answers through the replica while it is healthy', async () => {
    await expectAnswers();
  });

  it('frozen (SIGSTOP): each call fails with the stated timeout, other contexts answer meanwhile, and it answers again once thawed', async () => {
    replica.freeze();
    try {
      const started = Date.now();
      const [list, yaml, events, releases] = await Promise.all([
        env.callRaw('list_resources', { ...onReplica, kind: 'pods' }),
        env.callRaw('get_resource_yaml', { ...onReplica, kind: 'serviceaccount', name: 'default' }),
        env.callRaw('get_events', onReplica),
        env.callRaw('list_helm_releases', onReplica),
        expectOtherContextAnswers(),
      ]);
      for (const r of [list, yaml, events, releases]) {
        expect(r.isError).toBe(true);
        expect(r.text).toMatch(/context "kz-replica" \(https:\/\/127\.0\.0\.1:\d+\) did not answer within 2s/);
        expect(r.text).not.toMatch(/unexpectedly/);
      }
      // Not a benchmark: the bound only tells "the stated timeout, once" from "waits for ever".
      expect(Date.now() - started).toBeLessThan(20_000);
    } finally {
      replica.thaw();
    }
    await expectAnswers();
  });

  it('killed (SIGKILL): the refusal is said plainly and the server stays up; restarted, it answers again', async () => {
    await replica.kill();
    const [list, logs] = await Promise.all([
      env.callRaw('list_resources', { ...onReplica, kind: 'pods' }),
      env.callRaw('get_pod_logs', { ...onReplica, name: 'deploy/web' }),
      expectOtherContextAnswers(),
    ]);
    for (const r of [list, logs]) {
      expect(r.isError).toBe(true);
      expect(r.text).toMatch(/kz-replica/);
      // Refused on a new connection, or reset on one kept alive from before the kill: both said plainly.
      expect(r.text).toMatch(/refused|was reset|not reachable|cannot reach/i);
      expect(r.text).not.toMatch(/unexpectedly/);
    }
    await replica.restart();
    await expectAnswers();
  });
});
