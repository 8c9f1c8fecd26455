import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memory, nodeRow, NODE_HEADERS } from '../../src/tools/read/list_nodes.js';
import { rows, startToolEnv, tableLines, uniqueName, type ToolEnv } from './helpers.js';

describe('list_nodes', () => {
  let env: ToolEnv;
  const key = uniqueName('kz-t-ln-taint');
  const tainted = 'kwok-node-2';

  beforeAll(async () => {
    env = await startToolEnv();
    // PreferNoSchedule: visible, but does not keep other test files' pods off the node.
    await env.kubectl(['taint', 'node', tainted, `${key}=yes:PreferNoSchedule`]);
  });
  afterAll(async () => {
    if (env) {
      await env.kubectl(['taint', 'node', tainted, `${key}-`], { allowFail: true });
      await env.close();
    }
  });

  const cells = (line: string) => line.split(/\s{3,}/);

  it('shows the same nodes, statuses, roles and versions as kubectl get nodes -o wide', async () => {
    const text = await env.call('list_nodes');
    expect(text.split('\n')[0]!.split(/\s{3,}/)).toEqual(NODE_HEADERS);
    const expected = rows(await env.kubectl(['get', 'nodes', '-o', 'wide', '--no-headers']));
    const got = tableLines(text).map(cells);
    expect(got.map((r) => [r[0], r[1], r[2], r[4], r[5]])).toEqual(expected.map((r) => [r[0], r[1], r[2], r[4], r[5]]));
    expect(text).toMatch(new RegExp(`^${expected.length} nodes\\. CPU, MEMORY and PODS are allocatable`, 'm'));
  });

  it('shows allocatable CPU, memory and pods, and taints, as the Node objects have them', async () => {
    const text = await env.call('list_nodes');
    const json = JSON.parse(await env.kubectl(['get', 'nodes', '-o', 'json'])) as {
      items: Array<{ metadata: { name: string }; status: { allocatable: Record<string, string> } }>;
    };
    for (const n of json.items) {
      const row = tableLines(text)
        .map(cells)
        .find((r) => r[0] === n.metadata.name)!;
      expect(row[6]).toBe(n.status.allocatable.cpu);
      expect(row[7]).toBe(memory(n.status.allocatable.memory!));
      expect(row[8]).toBe(n.status.allocatable.pods);
    }
    const row = tableLines(text)
      .map(cells)
      .find((r) => r[0] === tainted)!;
    expect(row[9]).toContain(`${key}=yes:PreferNoSchedule`);
    expect(
      tableLines(text)
        .map(cells)
        .find((r) => r[0] === 'kwok-node-0')![9],
    ).not.toContain(key);
  });

  it('filters by label selector and pages', async () => {
    const one = await env.call('list_nodes', { labelSelector: `kubernetes.io/hostname=${tainted}` });
    expect(tableLines(one).map((l) => cells(l)[0])).toEqual([tainted]);
    const first = await env.call('list_nodes', { limit: 1 });
    const token = first.match(/"continue": "([^"]+)"/)?.[1];
    expect(token, first).toBeTruthy();
    const second = await env.call('list_nodes', { limit: 1, continue: token });
    expect(cells(tableLines(second)[0]!)[0]).not.toBe(cells(tableLines(first)[0]!)[0]);
  });

  it('403 for the restricted user names the verb and resource', async () => {
    const r = await env.callRaw('list_nodes', { context: env.info.contexts.restricted! });
    expect(r.isError).toBe(true);
    expect(r.text).toMatch(/Forbidden: user "[^"]+" .*cannot list nodes/);
  });

  it('formats status, cordon, roles, pressure and memory like kubectl (rows from synthetic nodes)', () => {
    const now = Date.parse('2026-01-02T00:00:00Z');
    const row = nodeRow(
      {
        metadata: {
          name: 'n1',
          creationTimestamp: '2026-01-01T00:00:00Z',
          labels: { 'node-role.kubernetes.io/control-plane': '', 'node-role.kubernetes.io/worker': '' },
        },
        spec: {
          unschedulable: true,
          taints: [
            { key: 'node.kubernetes.io/memory-pressure', effect: 'NoSchedule' },
            { key: 'dedicated', value: 'gpu', effect: 'NoExecute' },
          ],
        },
        status: {
          conditions: [
            { type: 'Ready', status: 'False' },
            { type: 'MemoryPressure', status: 'True' },
            { type: 'DiskPressure', status: 'False' },
            { type: 'PIDPressure', status: 'True' },
          ],
          addresses: [
            { type: 'Hostname', address: 'n1' },
            { type: 'InternalIP', address: '10.0.0.5' },
          ],
          allocatable: { cpu: '3920m', memory: '16318620Ki', pods: '110' },
          nodeInfo: { kubeletVersion: 'v1.34.1' },
        },
      },
      now,
    );
    expect(row).toEqual([
      'n1',
      'NotReady,SchedulingDisabled',
      'control-plane,worker',
      '24h',
      'v1.34.1',
      '10.0.0.5',
      '3920m',
      '15.6Gi',
      '110',
      'node.kubernetes.io/memory-pressure:NoSchedule,dedicated=gpu:NoExecute',
      'MemoryPressure,PIDPressure',
    ]);
    expect(nodeRow({ metadata: { name: 'n2' } })[1]).toBe('Unknown');
    expect([memory('256Gi'), memory('512Mi'), memory('1073741824'), memory('2G'), memory('weird')]).toEqual(['256Gi', '512Mi', '1Gi', '1.9Gi', 'weird']);
  });
});
