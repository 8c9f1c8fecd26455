// What apply_yaml reports a re-apply would remove, on the shapes the API server returns (the
// end-to-end sequence against the real cluster is in apply_yaml.test.ts).
import { describe, expect, it } from 'vitest';
import { isOwned, keptByOthers, ownedBy } from '../../src/tools/mutate/apply_yaml/ownership.js';
import { removalQuestion, removedFields } from '../../src/tools/mutate/apply_yaml/removals.js';
import type { KubeObject } from '../../src/tools/common/redact.js';

const live: KubeObject = {
  apiVersion: 'v1',
  kind: 'Service',
  metadata: {
    name: 'api',
    resourceVersion: '7',
    uid: 'u1',
    labels: { app: 'api', 'app.kubernetes.io/part-of': 'shop' },
    finalizers: ['a/b', 'c/d'],
  },
  spec: {
    ports: [
      { name: 'dns', port: 53, protocol: 'UDP' },
      { name: 'dns-tcp', port: 53, protocol: 'TCP' },
      { name: 'http', port: 80, protocol: 'TCP', targetPort: 8080 },
    ],
    sessionAffinity: 'ClientIP',
    externalIPs: ['10.0.0.1', '10.0.0.2'],
  },
  status: { loadBalancer: {} },
};

describe('removedFields', () => {
  it('names what is gone by path, list entries by their merge key, and ignores what the server maintains', () => {
    const dry = structuredClone(live) as KubeObject & { spec: { ports: unknown[] }; metadata: Record<string, unknown> };
    dry.metadata.resourceVersion = '8';
    delete (dry.metadata.labels as Record<string, string>)['app.kubernetes.io/part-of'];
    dry.metadata.finalizers = ['c/d'];
    dry.spec.ports = dry.spec.ports.filter((p) => (p as { protocol: string }).protocol === 'TCP');
    delete (dry.spec as Record<string, unknown>).externalIPs;
    (dry.spec as Record<string, unknown>).sessionAffinity = 'None';
    delete dry.status;
    const manifest = { kind: 'Service', metadata: { name: 'api', labels: { app: 'api' } }, spec: { ports: [{ port: 53 }, { port: 80 }] } };
    expect(removedFields(live, dry, manifest)).toEqual([
      'metadata.labels["app.kubernetes.io/part-of"]',
      'metadata.finalizers[a/b]',
      'spec.ports[53/UDP]',
      'spec.sessionAffinity',
      'spec.externalIPs',
    ]);
  });

  it('reports nothing for an unchanged object, a field the manifest sets (null included), or a list it states whole', () => {
    expect(removedFields(live, structuredClone(live), { kind: 'Service' })).toEqual([]);
    const dry = structuredClone(live) as KubeObject & { spec: Record<string, unknown> };
    dry.spec.sessionAffinity = 'None';
    dry.spec.externalIPs = ['10.0.0.1'];
    delete (dry.metadata!.labels as Record<string, string>)['app.kubernetes.io/part-of'];
    const manifest = { metadata: { labels: { 'app.kubernetes.io/part-of': null } }, spec: { sessionAffinity: 'None', externalIPs: ['10.0.0.1'] } };
    expect(removedFields(live, dry, manifest)).toEqual([]);
  });
});

describe('removalQuestion', () => {
  it('names each object and at most 20 fields, then how many more', () => {
    const fields = Array.from({ length: 25 }, (_, i) => `data.key${i}`);
    const objects = [
      { object: 'configmap/a in namespace x', fields: fields.slice(0, 15) },
      { object: 'configmap/b in namespace x', fields: fields.slice(15) },
    ];
    const question = removalQuestion(objects, 'prod');
    expect(question).toBe(
      'Applying in context prod removes 25 fields that an earlier apply set and this manifest leaves out: ' +
        `configmap/a in namespace x: ${fields.slice(0, 15).join(', ')}; configmap/b in namespace x: ${fields.slice(15, 20).join(', ')} and 5 more. ` +
        'Proceed? (To keep a field, add it to the manifest.)',
    );
  });
});

describe('field ownership (managedFields)', () => {
  const deployment: KubeObject = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: 'web',
      annotations: { 'deployment.kubernetes.io/revision': '2' },
      labels: { app: 'web', tier: 'frontend' },
      managedFields: [
        {
          manager: 'kubezilla-mcp',
          operation: 'Apply',
          fieldsType: 'FieldsV1',
          fieldsV1: {
            'f:metadata': { 'f:labels': { 'f:app': {}, 'f:tier': {} } },
            'f:spec': {
              'f:replicas': {},
              'f:template': {
                'f:spec': {
                  'f:containers': {
                    'k:{"name":"web"}': {
                      '.': {},
                      'f:name': {},
                      'f:ports': { 'k:{"containerPort":9090,"protocol":"TCP"}': { '.': {}, 'f:containerPort': {} } },
                    },
                  },
                },
              },
            },
          },
        },
        {
          manager: 'kube-controller-manager',
          operation: 'Update',
          fieldsType: 'FieldsV1',
          fieldsV1: { 'f:metadata': { 'f:annotations': { '.': {}, 'f:deployment.kubernetes.io/revision': {} } } },
        },
        {
          manager: 'kube-controller-manager',
          operation: 'Update',
          subresource: 'status',
          fieldsType: 'FieldsV1',
          fieldsV1: { 'f:status': { 'f:replicas': {} } },
        },
      ],
    },
  };

  it("counts as removable only what this manager owns, not a controller's annotation that changed meanwhile", () => {
    const owned = ownedBy(deployment, 'kubezilla-mcp');
    expect(isOwned(owned, 'spec.replicas (3, becomes 1)')).toBe(true);
    expect(isOwned(owned, 'metadata.labels.tier')).toBe(true);
    expect(isOwned(owned, 'spec.template.spec.containers[web].ports[9090]')).toBe(true);
    expect(isOwned(owned, 'metadata.annotations["deployment.kubernetes.io/revision"]')).toBe(false);
    expect(isOwned(owned, 'spec.template.spec.containers[web].resources')).toBe(false);
  });

  it("names the fields other managers keep, leaving out status, the control plane's own and what the manifest states", () => {
    const manifest: KubeObject = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', labels: { app: 'web' } } };
    expect(keptByOthers(deployment, manifest, 'kubezilla-mcp')).toEqual([]);
    expect(keptByOthers(deployment, manifest, 'someone-else')).toEqual(expect.arrayContaining([{ path: 'metadata.labels.tier', managers: ['kubezilla-mcp'] }]));
    expect(keptByOthers(deployment, manifest, 'someone-else').map((k) => k.path)).not.toContain('metadata.labels.app');
  });
});
