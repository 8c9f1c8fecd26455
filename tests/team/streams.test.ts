/**
 * The WebSocket streams (a pod's exec, here on KWOK's exec emulation, which runs the command for
 * real) act as the signed-in person too: the upgrade carries the impersonation headers, so the
 * person's RBAC decides whether they may exec (`create pods/exec`).
 */
import { randomBytes } from 'node:crypto';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubectl, testCluster } from '../cluster/context.js';
import { connectClient, textOf } from '../helpers/server.js';
import { eventually } from '../tools/helpers.js';
import { applyAsAdmin, serviceAccountToken, startTeamServer, type TeamServer } from './team-server.js';

const info = testCluster();
const ns = `kz-streams-${randomBytes(3).toString('hex')}`;
let team: TeamServer;
let alice: Client;
let bob: Client;

/** A client whose person says yes to every question (exec is destructive: it is always asked). */
async function agreeing(token: string): Promise<Client> {
  const { client } = await connectClient(team.url, token, { elicitation: { form: {} } });
  client.setRequestHandler(ElicitRequestSchema, async () => ({ action: 'accept', content: { confirm: true } }));
  return client;
}

const binding = (role: string, sa: string) =>
  `apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: ${sa}-${role}, namespace: ${ns}}\n` +
  `roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: ${role}}\nsubjects: [{kind: ServiceAccount, name: ${sa}, namespace: ${ns}}]\n`;

beforeAll(async () => {
  if (info.external) return; // the issuer is the local test cluster's (see team-server.ts)
  await applyAsAdmin(info, `apiVersion: v1\nkind: Namespace\nmetadata: {name: ${ns}}\n`);
  await applyAsAdmin(
    info,
    ['alice', 'bob'].map((sa) => `apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: ${sa}, namespace: ${ns}}\n`).join('---\n') +
      `---\n${binding('edit', 'alice')}---\n${binding('view', 'bob')}---\n` +
      `apiVersion: v1\nkind: Pod\nmetadata: {name: box, namespace: ${ns}}\nspec:\n  containers: [{name: app, image: busybox}]\n`,
  );
  const running = await eventually(async () => {
    const r = await kubectl(info, ['get', 'pod', 'box', '-n', ns, '-o', 'jsonpath={.status.phase}']);
    return r.stdout === 'Running';
  }, 60_000);
  expect(running, 'pod box Running').toBe(true);
  team = await startTeamServer(
    info,
    { acting: 'impersonate', identityPrefix: '', defaultScopes: ['kubezilla:read', 'kubezilla:write', 'kubezilla:destructive'] },
    { enableDestructive: true },
  );
  alice = await agreeing(await serviceAccountToken(info, ns, 'alice'));
  bob = await agreeing(await serviceAccountToken(info, ns, 'bob'));
}, 120_000);

afterAll(async () => {
  await alice?.close();
  await bob?.close();
  await team?.close();
  await kubectl(info, ['delete', 'namespace', ns, '--wait=false']);
});

describe.skipIf(info.external)('exec streams as the person', () => {
  it('bob, who may only view, is refused the exec by the cluster', async () => {
    const result = await bob.callTool({ name: 'exec_in_pod', arguments: { name: 'box', namespace: ns, command: ['echo', 'from-bob'] } });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/forbidden/i);
    expect(textOf(result)).toContain(`system:serviceaccount:${ns}:bob`);
  });

  it('alice, who may edit, runs the command', async () => {
    const result = await alice.callTool({ name: 'exec_in_pod', arguments: { name: 'box', namespace: ns, command: ['echo', 'from-alice'] } });
    expect(result.isError, textOf(result)).toBeFalsy();
    expect(textOf(result)).toContain('from-alice');
    const audit = team.server.audit.recent(5).find((e) => e.tool === 'exec_in_pod' && e.outcome === 'ok');
    expect(audit).toMatchObject({ person: `system:serviceaccount:${ns}:alice` });
  });

  it("a port forward is its opener's: the other person neither sees nor stops it", async () => {
    const started = await alice.callTool({ name: 'port_forward_start', arguments: { target: 'pod/box', namespace: ns, ports: [':80'] } });
    expect(started.isError, textOf(started)).toBeFalsy();
    const id = /\b(pf-[0-9a-f]+)\b/.exec(textOf(started))?.[1];
    expect(id, textOf(started)).toBeTruthy();
    const text = async (client: Client, name: string, args: Record<string, unknown> = {}) => textOf(await client.callTool({ name, arguments: args }));
    expect(await text(alice, 'port_forward_list')).toContain(id!);
    expect(await text(bob, 'port_forward_list')).not.toContain(id!);
    expect(await text(bob, 'port_forward_stop', { id })).not.toMatch(/^Stopped/);
    expect(await text(alice, 'port_forward_list')).toContain(id!);
    expect(await text(alice, 'port_forward_stop', { id })).toContain(id!);
    expect(team.server.portForwards().ended.find((f) => f.id === id)).toMatchObject({ person: `system:serviceaccount:${ns}:alice` });
  });

  it('a prompt argument completes from the cluster as the person (a server with no person would not reach it)', async () => {
    const completion = await alice.complete({
      ref: { type: 'ref/prompt', name: 'investigate' },
      argument: { name: 'target', value: 'pod/' },
      context: { arguments: { namespace: ns } },
    });
    expect(completion.completion.values).toContain('pod/box');
  });
});
