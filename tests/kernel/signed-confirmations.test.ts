/**
 * Signed confirmation tokens (stateless replicas): any holder of the shared key checks a token, and
 * nothing but the exact call it was issued for, within its five minutes, once per replica, passes.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CONFIRMATION_TTL_MS, SignedConfirmationTokens } from '../../src/kernel/confirmations.js';

const key = randomBytes(48);
const binding = { session: '', tool: 'scale', args: { resource: 'deploy/web', replicas: 0, namespace: 'shop' } };
const questions = ['Scale deploy/web in shop from 3 to 0 replicas?'];

describe('SignedConfirmationTokens', () => {
  it('lets another replica with the same key redeem a token once, with its questions', () => {
    const token = new SignedConfirmationTokens(key).issue(binding, questions);
    const other = new SignedConfirmationTokens(Buffer.from(key));
    // The same arguments in another key order are the same call.
    expect(other.redeem(token, { ...binding, args: { namespace: 'shop', replicas: 0, resource: 'deploy/web' } })).toEqual({ questions });
    expect(other.redeem(token, binding)).toEqual({ problem: expect.stringContaining('already used') });
  });

  it('refuses a token for other arguments, another tool, another key, or with its questions edited', () => {
    const token = new SignedConfirmationTokens(key).issue(binding, questions);
    const replica = new SignedConfirmationTokens(key);
    expect(replica.redeem(token, { ...binding, args: { ...binding.args, replicas: 1 } })).toEqual({ problem: expect.stringContaining('another call') });
    expect(replica.redeem(token, { ...binding, tool: 'delete_resource' })).toEqual({ problem: expect.stringContaining('another call') });
    expect(new SignedConfirmationTokens(randomBytes(48)).redeem(token, binding)).toEqual({ problem: expect.stringContaining('another key') });
    const [payload, mac] = token.slice(4).split('.');
    const edited = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload!, 'base64url').toString()), q: ['Anything?'] })).toString('base64url');
    expect(replica.redeem(`kzc_${edited}.${mac}`, binding)).toEqual({ problem: expect.stringContaining('another call') });
  });

  it('refuses an expired token, an invented "true" and anything not shaped like a token', () => {
    let now = 1_000_000;
    const tokens = new SignedConfirmationTokens(key, () => now);
    const token = tokens.issue(binding, questions);
    now += CONFIRMATION_TTL_MS + 1;
    expect(tokens.redeem(token, binding)).toEqual({ problem: expect.stringContaining('expired') });
    expect(tokens.redeem(true, binding)).toEqual({ problem: expect.stringContaining('is not a confirmation') });
    expect(tokens.redeem('kzc_abc', binding)).toEqual({ problem: expect.stringContaining('must be the token') });
  });

  it('needs a key of at least 32 bytes', () => {
    expect(() => new SignedConfirmationTokens(Buffer.from('short'))).toThrow('at least 32 bytes');
  });
});
