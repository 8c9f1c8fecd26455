/**
 * The kernel's safety parts on their own (no cluster): the call scope's judgement of requests,
 * and confirmation tokens. The same rules are exercised end to end against the real cluster in
 * tests/tools/safety.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { CallScope, currentCall, isReadRequest, type ClusterTargets } from '../../src/kernel/call-scope.js';
import { ConfirmationTokens, CONFIRMATION_TTL_MS } from '../../src/kernel/confirmations.js';
import { CallRefused, NeedsConfirmation, type SafetyClass } from '../../src/kernel/contract.js';
import { parseSettings } from '../../src/providers/config/settings.js';

const policy = { ...parseSettings({}, 'defaults').policy, readOnlyContexts: ['prod'] };
const targets: ClusterTargets = {
  resolve: (context) => ({ context: context ?? 'dev', namespace: 'default' }),
  readOnlyReason: (context, list) => (list.includes(context) ? 'listed' : context === 'prod-admin' ? 'same API server as prod' : undefined),
};

function scope(safety: SafetyClass = 'safe-mutation', options: { preview?: boolean; answer?: 'yes' | 'no' | 'token' } = {}) {
  const asked: string[] = [];
  const s = new CallScope({
    tool: 'tool_x',
    safety,
    preview: options.preview ?? false,
    policy,
    targets,
    confirm: async (message) => {
      asked.push(message);
      if (options.answer === 'no') throw new CallRefused('declined');
      if (options.answer === 'token') throw new NeedsConfirmation(message);
    },
  });
  return { s, asked };
}
const write = (context: string, namespace?: string, path = `/api/v1/namespaces/${namespace}/configmaps/x`) => ({
  context,
  method: 'PATCH',
  path,
  namespace,
  resource: 'configmaps',
});

describe('call scope', () => {
  it('lets reads, self-reviews and server-side dry runs through in any context', async () => {
    const { s, asked } = scope('read');
    await s.judgeRequest({ context: 'prod', method: 'GET', path: '/api/v1/namespaces/kube-system/secrets' });
    await s.judgeRequest({ context: 'prod', method: 'POST', path: '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews' });
    const m = scope();
    await m.s.judgeRequest(write('prod', 'kube-system', '/api/v1/namespaces/kube-system/configmaps/x?fieldManager=kz&dryRun=All'));
    expect(asked).toEqual([]);
    expect(m.asked).toEqual([]);
    expect(isReadRequest('POST', '/api/v1/namespaces/a/pods')).toBe(false);
    expect(isReadRequest('POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews/../../x')).toBe(false);
  });

  it('takes the GET that opens a pod exec, attach or port-forward stream for a write, with no dry run', async () => {
    for (const sub of ['exec', 'attach', 'portforward']) {
      const path = `/api/v1/namespaces/a/pods/web-0/${sub}?command=ls&dryRun=All`;
      expect(isReadRequest('GET', path)).toBe(false);
      await expect(scope('read').s.judgeRequest({ context: 'dev', method: 'GET', path, namespace: 'a' })).rejects.toThrow(
        /read tool, so it may not change the cluster/,
      );
    }
    expect(isReadRequest('GET', '/api/v1/namespaces/a/pods/web-0/log')).toBe(true);
  });

  it('refuses every write of a read tool and of a preview, and remembers the refusal', async () => {
    const read = scope('read').s;
    await expect(read.judgeRequest(write('dev', 'a'))).rejects.toThrow(/tool_x is a read tool, so it may not change the cluster/);
    expect(read.refusal).toBeInstanceOf(CallRefused);
    await expect(scope('safe-mutation', { preview: true }).s.judgeRequest(write('dev', 'a'))).rejects.toThrow(/called as a dry run/);
  });

  it('takes a DELETE with a body for a dry run only when the body says so (the API server ignores the query then)', async () => {
    const del = (body: string | Uint8Array | undefined) => ({
      context: 'dev',
      method: 'DELETE',
      path: '/api/v1/namespaces/a/configmaps/x?dryRun=All',
      namespace: 'a',
      resource: 'configmaps',
      body,
    });
    const preview = scope('destructive', { preview: true }).s;
    await preview.judgeRequest(del(undefined));
    await preview.judgeRequest(del(JSON.stringify({ kind: 'DeleteOptions', dryRun: ['All'] })));
    await preview.judgeRequest(del(new TextEncoder().encode(JSON.stringify({ dryRun: ['All'] }))));
    for (const body of [JSON.stringify({ kind: 'DeleteOptions', propagationPolicy: 'Background' }), new Uint8Array([0x6b, 0x38, 0x73, 0x00])]) {
      await expect(scope('destructive', { preview: true }).s.judgeRequest(del(body))).rejects.toThrow(/called as a dry run, so it may not change the cluster/);
    }
  });

  it('refuses a destructive write the person has not confirmed in this call', async () => {
    const { s } = scope('destructive');
    await expect(s.judgeRequest(write('dev', 'a'))).rejects.toThrow(
      /tool_x is destructive and tried PATCH configmaps in namespace a in context dev before the person confirmed it/,
    );
    expect(s.refusal).toBeInstanceOf(CallRefused);
    const confirmed = scope('destructive').s;
    confirmed.personConfirmed = true;
    await confirmed.judgeRequest(write('dev', 'a'));
    expect([...confirmed.written.get('dev')!]).toEqual(['a']);
    // Dry runs and reads need no question.
    await scope('destructive').s.judgeRequest(write('dev', 'a', '/api/v1/namespaces/a/configmaps/x?dryRun=All'));
  });

  it('refuses writes to a read-only context and to the same server under another name', async () => {
    await expect(scope().s.judgeRequest(write('prod', 'a'))).rejects.toThrow(/context prod is read-only on this server \(listed\)/);
    await expect(scope().s.judgeRequest(write('prod-admin', 'a'))).rejects.toThrow(/same API server as prod/);
    await scope().s.judgeRequest(write('dev', 'a'));
  });

  it('asks once before the first write to a protected namespace, for everything the call previewed', async () => {
    const { s, asked } = scope('safe-mutation', { answer: 'yes' });
    await s.judgeRequest(write('dev', 'kube-public', '/api/v1/namespaces/kube-public/configmaps/x?dryRun=All'));
    await s.judgeRequest(write('dev', 'kube-system', '/api/v1/namespaces/kube-system/configmaps/x?dryRun=All'));
    await s.judgeRequest(write('dev', 'team-a'));
    expect(asked).toEqual([]);
    await s.judgeRequest(write('dev', 'kube-system'));
    await s.judgeRequest(write('dev', 'kube-public'));
    expect(asked).toEqual(['tool_x will change the protected namespaces "kube-public", "kube-system" in context dev. Proceed?']);
    expect([...s.written.get('dev')!].sort()).toEqual(['kube-public', 'kube-system', 'team-a']);
  });

  it('stops the write when the person says no, and judges subprocess writes up front the same way', async () => {
    const no = scope('safe-mutation', { answer: 'token' });
    await expect(no.s.judgeRequest(write('dev', 'kube-system'))).rejects.toBeInstanceOf(NeedsConfirmation);
    expect(no.s.refusal).toBeInstanceOf(NeedsConfirmation);
    expect(no.s.written.size).toBe(0);
    const helm = scope('safe-mutation', { answer: 'yes' });
    await helm.s.judgeWrites('dev', ['web', 'kube-system', undefined]);
    expect(helm.asked).toEqual(['tool_x will change the protected namespace "kube-system" in context dev. Proceed?']);
    await expect(scope().s.judgeWrites('prod', ['web'])).rejects.toThrow(/read-only/);
  });

  it('travels with the call into everything it awaits, and is absent outside a call', async () => {
    const { s } = scope();
    expect(currentCall()).toBeUndefined();
    const seen = await s.run(async () => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      return currentCall();
    });
    expect(seen).toBe(s);
  });
});

describe('confirmation tokens', () => {
  const binding = { session: 's1', tool: 'scale', args: { resource: 'deploy/web', replicas: 0 } };

  it('answers the questions it was issued for, once, for the same call only', () => {
    const tokens = new ConfirmationTokens();
    const token = tokens.issue(binding, ['Scale to 0?']);
    expect(token).toMatch(/^kzc_[A-Za-z0-9_-]{22}$/);
    expect(tokens.redeem(token, { ...binding, args: { replicas: 0, resource: 'deploy/web' } })).toEqual({ questions: ['Scale to 0?'] });
    expect(tokens.redeem(token, binding)).toMatchObject({ problem: expect.stringMatching(/unknown, already used or expired/) });
  });

  it('is refused, and used up, when replayed for other arguments, another tool or another session', () => {
    const tokens = new ConfirmationTokens();
    for (const other of [
      { ...binding, args: { ...binding.args, resource: 'deploy/db' } },
      { ...binding, tool: 'rollout_restart' },
      { ...binding, session: 's2' },
    ]) {
      const token = tokens.issue(binding, ['q']);
      expect(tokens.redeem(token, other)).toMatchObject({ problem: expect.stringMatching(/issued for another call/) });
      expect(tokens.redeem(token, binding)).toMatchObject({ problem: expect.stringMatching(/already used/) });
    }
  });

  it('refuses confirm: true and anything that is not a token, and expires', () => {
    let now = 1_000;
    const tokens = new ConfirmationTokens(() => now);
    expect(tokens.redeem(true, binding)).toMatchObject({ problem: expect.stringMatching(/"confirm": true is not a confirmation/) });
    expect(tokens.redeem('yes', binding)).toMatchObject({ problem: expect.stringMatching(/must be the token/) });
    const token = tokens.issue(binding, ['q']);
    now += CONFIRMATION_TTL_MS + 1;
    expect(tokens.redeem(token, binding)).toMatchObject({ problem: expect.stringMatching(/expired/) });
  });
});
