// How every tool reads what a person types for an object (the cluster-side half, resolving the
// kind, is in tests/providers/clusters.test.ts).
import { describe, expect, it } from 'vitest';
import { ToolError } from '../../src/kernel/contract.js';
import { parseObjectRef, refText, WORKLOAD_KINDS } from '../../src/tools/common/refs.js';

const parse = (ref: string, more: { kind?: string; kindArgument?: boolean; bareKind?: string; field?: string } = {}) =>
  parseObjectRef({ field: 'name', ref, ...more });

describe('parseObjectRef', () => {
  it('takes kind/name, "kind name" and a kind beside a bare name', () => {
    expect(parse('deploy/web')).toEqual({ kindText: 'deploy', name: 'web' });
    expect(parse('  deployments.apps/web ')).toEqual({ kindText: 'deployments.apps', name: 'web' });
    expect(parse('sts   db')).toEqual({ kindText: 'sts', name: 'db' });
    expect(parse('web', { kind: 'deploy' })).toEqual({ kindText: 'deploy', name: 'web' });
    expect(parse('web-0', { bareKind: 'pod' })).toEqual({ kindText: 'pod', name: 'web-0' });
    // A separate kind wins over the bare-name default.
    expect(parse('db', { kind: 'sts', bareKind: 'pod' })).toEqual({ kindText: 'sts', name: 'db' });
  });

  it('hands a second spelling of the kind on for the cluster to compare, and ignores one that only differs in case', () => {
    expect(parse('deployment/web', { kind: 'deploy' })).toEqual({ kindText: 'deployment', name: 'web', otherKind: 'deploy' });
    expect(parse('Deploy/web', { kind: 'deploy' })).toEqual({ kindText: 'Deploy', name: 'web' });
  });

  it('refuses what is neither a name nor kind/name, naming the argument and an example', () => {
    for (const bad of ['a/b/c', '/web', 'deploy/', 'a b c', ' / ']) {
      const err = (() => {
        try {
          parse(bad, { field: 'resource' });
        } catch (e) {
          return e as ToolError;
        }
        throw new Error(`accepted ${bad}`);
      })();
      expect(err).toBeInstanceOf(ToolError);
      expect(err.message).toContain(`resource: "${bad}" is neither a name nor kind/name`);
      expect(err.hint).toContain('deploy/web');
    }
  });

  it('asks for a kind when a bare name has none: in the kind argument where the tool has one', () => {
    expect(() => parse('web', { kindArgument: true })).toThrow(/^kind: missing; say what kind of object "web" is/);
    expect(() => parse('web', { field: 'resource' })).toThrow(/^resource: "web" is not kind\/name/);
  });
});

describe('workload kinds', () => {
  it('lists each workload kind once, with the short name kubectl knows and whether rollout restart applies', () => {
    expect([...WORKLOAD_KINDS.keys()]).toEqual(['apps/Deployment', 'apps/StatefulSet', 'apps/DaemonSet', 'apps/ReplicaSet', 'batch/Job', 'batch/CronJob']);
    expect([...WORKLOAD_KINDS].filter(([, k]) => k.restartable).map(([id]) => id)).toEqual(['apps/Deployment', 'apps/StatefulSet', 'apps/DaemonSet']);
    expect(refText({ kind: 'StatefulSet' }, 'db')).toBe('statefulset/db');
  });
});
