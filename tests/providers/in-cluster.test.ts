/**
 * The in-cluster context (`serve --in-cluster`): read from the pod's environment and mounted
 * ServiceAccount files, merged first and current, pointing at the token *file* (so a rotated token
 * is used) and never copying a credential; a missing piece is one line saying what and how.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { inClusterConfig, inClusterKubeconfig } from '../../src/providers/cluster/in-cluster.js';
import { KubeconfigStore } from '../../src/providers/cluster/kubeconfig.js';

function serviceAccountDir(withNamespace = true): string {
  const dir = mkdtempSync(join(tmpdir(), 'kz-sa-'));
  writeFileSync(join(dir, 'token'), 'eyJhbGciOiJSUzI1NiJ9.secret-part\n');
  writeFileSync(join(dir, 'ca.crt'), '-----BEGIN CERTIFICATE-----\n');
  if (withNamespace) writeFileSync(join(dir, 'namespace'), 'kubezilla\n');
  return dir;
}

describe('in-cluster configuration', () => {
  it('is the first and current context, with the token file and CA by path', () => {
    const dir = serviceAccountDir();
    const inCluster = inClusterConfig({ KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443', KUBEZILLA_SERVICEACCOUNT_DIR: dir });
    expect(inCluster).toEqual({
      context: 'in-cluster',
      server: 'https://10.96.0.1:443',
      tokenFile: join(dir, 'token'),
      caFile: join(dir, 'ca.crt'),
      namespace: 'kubezilla',
    });
    const text = inClusterKubeconfig(inCluster);
    expect(text).not.toContain('secret-part');
    const other = join(dir, 'other.yaml');
    writeFileSync(
      other,
      'apiVersion: v1\nkind: Config\ncurrent-context: prod\nclusters: [{name: p, cluster: {server: "https://prod:6443"}}]\nusers: [{name: u, user: {token: t}}]\ncontexts: [{name: prod, context: {cluster: p, user: u}}]\n',
    );
    const store = new KubeconfigStore({ env: {}, home: dir, flagPaths: () => [other], inCluster: { id: 'in-cluster:in-cluster', content: text } });
    const snapshot = store.snapshot();
    expect(snapshot.current).toBe('in-cluster');
    expect(snapshot.contexts.map((c) => c.name)).toEqual(['in-cluster', 'prod']);
    const context = snapshot.byName.get('in-cluster')!;
    expect(context).toMatchObject({ server: 'https://10.96.0.1:443', namespace: 'kubezilla', origin: 'in-cluster' });
    expect(context.raw.user).toEqual({ 'token-file': join(dir, 'token') });
  });

  it('brackets an IPv6 service address, defaults the port and the namespace', () => {
    const dir = serviceAccountDir(false);
    expect(inClusterConfig({ KUBERNETES_SERVICE_HOST: 'fd00::1', KUBEZILLA_SERVICEACCOUNT_DIR: dir })).toMatchObject({
      server: 'https://[fd00::1]:443',
      namespace: 'default',
    });
  });

  it('says what is missing outside a pod', () => {
    expect(() => inClusterConfig({})).toThrow(/IN_CLUSTER_UNAVAILABLE|KUBERNETES_SERVICE_HOST/);
    const empty = mkdtempSync(join(tmpdir(), 'kz-sa-empty-'));
    expect(() => inClusterConfig({ KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBEZILLA_SERVICEACCOUNT_DIR: empty })).toThrow(
      `--in-cluster needs the ServiceAccount's ${join(empty, 'token')}, which does not exist`,
    );
  });
});
