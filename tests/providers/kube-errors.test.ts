import { ApiException } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { ToolError } from '../../src/kernel/contract.js';
import { describeKubernetesError, KubeApiError } from '../../src/providers/cluster/kube-errors.js';
import { TunnelError } from '../../src/providers/cluster/tunnels.js';

const info = { context: 'prod', server: 'https://k8s.example.com:6443', user: 'alice' };
const withCode = (code: string, message = code) => Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error(message), { code }) });

describe('describeKubernetesError', () => {
  it('maps client-node ApiExceptions, keeping the status code', () => {
    const body = JSON.stringify({
      kind: 'Status',
      reason: 'Forbidden',
      code: 403,
      message: 'deployments.apps "web" is forbidden: User "alice@example.com" cannot patch resource "deployments" in API group "apps" in the namespace "shop"',
    });
    const err = describeKubernetesError(new ApiException(403, 'Forbidden', body, {}), {
      ...info,
      verb: 'patch',
      resource: 'deployments.apps',
      namespace: 'shop',
      name: 'web',
    });
    expect(err).toBeInstanceOf(KubeApiError);
    expect(err).toBeInstanceOf(ToolError);
    expect(err.name).toBe('ToolError');
    expect((err as KubeApiError).code).toBe(403);
    expect((err as KubeApiError).reason).toBe('Forbidden');
    expect(err.message).toMatch(/^Forbidden: user "alice@example.com" \(context "prod"\) cannot patch deployments.apps "web" in namespace "shop"\./);
  });

  it('reads the verb and user from the server message when the caller did not say', () => {
    const err = describeKubernetesError(
      { code: 403, body: { message: 'nodes is forbidden: User "bob" cannot list resource "nodes" in API group "" at the cluster scope' } },
      { context: 'c', resource: 'nodes' },
    );
    expect(err.message).toMatch(/^Forbidden: user "bob" \(context "c"\) cannot list nodes at the cluster scope\./);
  });

  it('explains transport failures with context and address', () => {
    expect(describeKubernetesError(withCode('ECONNREFUSED'), info).message).toBe(
      'Cannot connect to context "prod" (https://k8s.example.com:6443): connection refused.',
    );
    expect(describeKubernetesError(withCode('ENOTFOUND'), info).message).toContain('Cannot resolve the API server host of context "prod"');
    expect(describeKubernetesError(withCode('CERT_HAS_EXPIRED', 'certificate has expired'), info).message).toBe(
      'TLS verification of context "prod" (https://k8s.example.com:6443) failed: CERT_HAS_EXPIRED (certificate has expired).',
    );
    expect(describeKubernetesError(new DOMException('x', 'TimeoutError'), { ...info, timeoutMs: 10_000 }).message).toBe(
      'context "prod" (https://k8s.example.com:6443) did not answer within 10s.',
    );
    expect(describeKubernetesError(withCode('UND_ERR_CONNECT_TIMEOUT'), info).message).toContain('did not answer in time');
    expect(describeKubernetesError(new DOMException('x', 'AbortError'), info).message).toContain('cancelled');
  });

  it('keeps the tunnel explanation and hint', () => {
    const err = describeKubernetesError(new TunnelError('host-key-changed', 'HOST KEY CHANGED for bastion b', 'verify it'), info);
    expect(err.message).toBe(
      'context "prod" (https://k8s.example.com:6443) is reached through an SSH bastion, and the tunnel failed: HOST KEY CHANGED for bastion b',
    );
    expect(err.hint).toBe('verify it');
  });

  it('returns ToolErrors unchanged and handles odd bodies', () => {
    const tool = new ToolError('already explained');
    expect(describeKubernetesError(tool, info)).toBe(tool);
    expect(describeKubernetesError({ code: 500, body: '<html>oops</html>' }, info).message).toContain('The API server said: <html>oops</html>');
    expect(
      describeKubernetesError(
        { code: 409, body: { reason: 'Conflict', message: 'the object has been modified' } },
        { ...info, resource: 'configmaps', name: 'x', namespace: 'd' },
      ).message,
    ).toMatch(/^Conflict on configmaps\/x in namespace "d"/);
  });
});
