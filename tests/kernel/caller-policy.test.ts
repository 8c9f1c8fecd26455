/**
 * Team mode's scopes in the kernel's policy, without a cluster: which classes a token's scopes
 * reach, and that a signed-in person is offered and allowed only the tools both the server's
 * policy and their scopes permit; without a person (laptop mode) nothing changes.
 */
import { describe, expect, it } from 'vitest';
import { actingAs, type Caller, callerOf, currentCaller } from '../../src/kernel/caller.js';
import { classesForScopes, isToolEnabled, judgeCall } from '../../src/kernel/policy.js';
import { parseSettings } from '../../src/providers/config/settings.js';

const policy = parseSettings({}, 'defaults').policy;
const withDestructive = { ...policy, enabledClasses: [...policy.enabledClasses, 'destructive' as const] };
const reader: Caller = {
  name: 'oidc:ann',
  classes: ['read'],
  scopes: ['kubezilla:read', 'openid'],
  acting: { kind: 'impersonate', user: 'oidc:ann', groups: [] },
  expiresAt: 0,
};
const tool = (safety: 'read' | 'safe-mutation' | 'destructive', name = `a_${safety}`) => ({ name, safety });

describe('scopes and the policy', () => {
  it('maps each Kubezilla scope to its own class and ignores others', () => {
    expect(classesForScopes(['kubezilla:read'])).toEqual(['read']);
    expect(classesForScopes(['kubezilla:write', 'openid', 'kubezilla:destructive'])).toEqual(['safe-mutation', 'destructive']);
    expect(classesForScopes(['read', 'write', 'kubezilla:admin'])).toEqual([]);
  });

  it('offers a person only the classes their scopes grant, and names the missing scope when refusing', () => {
    expect(isToolEnabled(tool('read'), policy, reader)).toBe(true);
    expect(isToolEnabled(tool('safe-mutation'), policy, reader)).toBe(false);
    const verdict = judgeCall(tool('safe-mutation', 'scale'), policy, reader);
    expect(verdict).toMatchObject({ allow: false });
    if (!verdict.allow) {
      expect(verdict.reason).toContain('needs the scope "kubezilla:write"');
      expect(verdict.reason).toContain('oidc:ann');
      expect(verdict.reason).toContain('kubezilla:read openid');
    }
  });

  it('never lets a scope enable a class the server keeps off', () => {
    const everything: Caller = { ...reader, classes: ['read', 'safe-mutation', 'destructive'] };
    expect(isToolEnabled(tool('destructive'), policy, everything)).toBe(false);
    expect(judgeCall(tool('destructive'), policy, everything)).toMatchObject({ allow: false, reason: expect.stringContaining('not enabled on this server') });
    expect(isToolEnabled(tool('destructive'), withDestructive, everything)).toBe(true);
  });

  it('leaves laptop mode (no person) as it was', () => {
    expect(isToolEnabled(tool('safe-mutation'), policy)).toBe(true);
    expect(judgeCall(tool('destructive'), withDestructive)).toEqual({ allow: true });
  });
});

describe('the caller in progress', () => {
  it('is carried through everything awaited, and only there', async () => {
    expect(currentCaller()).toBeUndefined();
    const seen = await actingAs(reader, async () => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      return currentCaller();
    });
    expect(seen).toBe(reader);
    expect(currentCaller()).toBeUndefined();
  });

  it("is read from the SDK's authInfo only when the transport put one there", () => {
    expect(callerOf({ extra: { caller: reader } })).toBe(reader);
    expect(callerOf(undefined)).toBeUndefined();
    expect(callerOf({ extra: { caller: { name: 'x' } } })).toBeUndefined();
  });
});
