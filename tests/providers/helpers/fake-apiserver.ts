/**
 * A small HTTPS server that answers like a kube-apiserver for the provider unit tests (the real
 * control plane is used by the integration tests). Certificates come from openssl per run: a CA,
 * and a server certificate for the given SANs, so TLS verification is real.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Pki {
  dir: string;
  caPem: string;
  cert(name: string, sans: string): { cert: string; key: string };
  cleanup(): void;
}

export function makePki(): Pki {
  const dir = mkdtempSync(join(tmpdir(), 'kz-pki-'));
  const run = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  run([
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    'ca.key',
    '-out',
    'ca.crt',
    '-days',
    '2',
    '-subj',
    '/CN=kz-test-ca',
  ]);
  return {
    dir,
    caPem: readFileSync(join(dir, 'ca.crt'), 'utf8'),
    cert(name, sans) {
      writeFileSync(join(dir, `${name}.ext`), `subjectAltName=${sans}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n`);
      run([
        'req',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        `${name}.key`,
        '-out',
        `${name}.csr`,
        '-subj',
        `/CN=${name}`,
      ]);
      run([
        'x509',
        '-req',
        '-in',
        `${name}.csr`,
        '-CA',
        'ca.crt',
        '-CAkey',
        'ca.key',
        '-CAcreateserial',
        '-out',
        `${name}.crt`,
        '-days',
        '2',
        '-extfile',
        `${name}.ext`,
      ]);
      return { cert: readFileSync(join(dir, `${name}.crt`), 'utf8'), key: readFileSync(join(dir, `${name}.key`), 'utf8') };
    },
    cleanup() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const res = (resource: string, kind: string, scope: 'Namespaced' | 'Cluster', extra: Record<string, unknown> = {}) => ({
  resource,
  responseKind: { group: '', version: '', kind },
  scope,
  singularResource: kind.toLowerCase(),
  verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'],
  ...extra,
});

export interface FakeApiServer {
  port: number;
  url: string;
  /** Requests seen, as `METHOD path`. */
  seen: string[];
  /** Adds a CRD to discovery (to test refresh on miss). */
  addGadgets(): void;
  close(): Promise<void>;
}

export async function startFakeApiServer(opts: { cert: string; key: string; token: string; legacy?: boolean }): Promise<FakeApiServer> {
  const seen: string[] = [];
  let gadgets = false;
  const aggregatedCore = () => ({
    kind: 'APIGroupDiscoveryList',
    apiVersion: 'apidiscovery.k8s.io/v2',
    items: [
      {
        metadata: { name: '' },
        versions: [
          {
            version: 'v1',
            resources: [
              res('pods', 'Pod', 'Namespaced', { shortNames: ['po'], categories: ['all'], subresources: [{ subresource: 'log' }, { subresource: 'exec' }] }),
              res('namespaces', 'Namespace', 'Cluster', { shortNames: ['ns'] }),
              res('events', 'Event', 'Namespaced', { shortNames: ['ev'] }),
              res('services', 'Service', 'Namespaced', { shortNames: ['svc'] }),
            ],
          },
        ],
      },
    ],
  });
  const aggregatedApis = () => ({
    kind: 'APIGroupDiscoveryList',
    apiVersion: 'apidiscovery.k8s.io/v2',
    items: [
      {
        metadata: { name: 'apps' },
        versions: [
          {
            version: 'v1',
            resources: [
              res('deployments', 'Deployment', 'Namespaced', { shortNames: ['deploy'], subresources: [{ subresource: 'scale' }] }),
              res('statefulsets', 'StatefulSet', 'Namespaced', { shortNames: ['sts'] }),
            ],
          },
        ],
      },
      { metadata: { name: 'events.k8s.io' }, versions: [{ version: 'v1', resources: [res('events', 'Event', 'Namespaced', { shortNames: ['ev'] })] }] },
      {
        metadata: { name: 'example.com' },
        versions: [
          { version: 'v2', resources: [res('widgets', 'Widget', 'Namespaced', { shortNames: ['wd'] })] },
          { version: 'v1', resources: [res('widgets', 'Widget', 'Namespaced', { shortNames: ['wd'] })] },
        ],
      },
      ...(gadgets ? [{ metadata: { name: 'toys.example.com' }, versions: [{ version: 'v1', resources: [res('gadgets', 'Gadget', 'Cluster')] }] }] : []),
    ],
  });
  const status = (code: number, reason: string, message: string, details: Record<string, unknown> = {}) =>
    JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', message, reason, details, code });

  const server: Server = createServer({ cert: opts.cert, key: opts.key }, (req, resp) => {
    const url = new URL(req.url ?? '/', 'https://x');
    seen.push(`${req.method} ${url.pathname}${url.search}`);
    const send = (code: number, body: unknown, type = 'application/json') => {
      resp.writeHead(code, { 'content-type': type });
      resp.end(typeof body === 'string' ? body : JSON.stringify(body));
    };
    if (url.pathname === '/slow') return; // never answers
    if (url.pathname === '/api/v1/namespaces/default/pods/web-0/log' && req.headers.authorization === `Bearer ${opts.token}`) {
      // follow=true: a line every 250 ms for 2.5 s, then the end.
      resp.writeHead(200, { 'content-type': 'text/plain' });
      let n = 0;
      const timer = setInterval(() => {
        resp.write(`line ${++n}\n`);
        if (n === 10 || url.searchParams.get('follow') !== 'true') {
          clearInterval(timer);
          resp.end();
        }
      }, 250);
      req.on('close', () => clearInterval(timer));
      return;
    }
    if (req.headers.authorization !== `Bearer ${opts.token}`) {
      return send(401, status(401, 'Unauthorized', 'Unauthorized'));
    }
    const accept = req.headers.accept ?? '';
    const aggregated = !opts.legacy && accept.includes('as=APIGroupDiscoveryList');
    switch (url.pathname) {
      case '/api':
        return aggregated ? send(200, aggregatedCore()) : send(200, { kind: 'APIVersions', versions: ['v1'] });
      case '/apis':
        return aggregated
          ? send(200, aggregatedApis())
          : send(200, {
              kind: 'APIGroupList',
              groups: [
                { name: 'apps', versions: [{ groupVersion: 'apps/v1', version: 'v1' }], preferredVersion: { groupVersion: 'apps/v1', version: 'v1' } },
                {
                  name: 'metrics.k8s.io',
                  versions: [{ groupVersion: 'metrics.k8s.io/v1beta1', version: 'v1beta1' }],
                  preferredVersion: { version: 'v1beta1' },
                },
              ],
            });
      case '/api/v1':
        return send(200, {
          kind: 'APIResourceList',
          groupVersion: 'v1',
          resources: [
            { name: 'pods', singularName: 'pod', namespaced: true, kind: 'Pod', verbs: ['get', 'list'], shortNames: ['po'] },
            { name: 'pods/log', singularName: '', namespaced: true, kind: 'Pod', verbs: ['get'] },
            { name: 'namespaces', singularName: 'namespace', namespaced: false, kind: 'Namespace', verbs: ['get', 'list'], shortNames: ['ns'] },
          ],
        });
      case '/apis/apps/v1':
        return send(200, {
          kind: 'APIResourceList',
          groupVersion: 'apps/v1',
          resources: [
            { name: 'deployments', singularName: 'deployment', namespaced: true, kind: 'Deployment', verbs: ['get', 'list'], shortNames: ['deploy'] },
          ],
        });
      case '/apis/metrics.k8s.io/v1beta1':
        return send(503, status(503, 'ServiceUnavailable', 'the server is currently unable to handle the request'));
      case '/api/v1/namespaces/default/pods':
        if (accept.includes('as=Table')) {
          return send(200, {
            kind: 'Table',
            apiVersion: 'meta.k8s.io/v1',
            columnDefinitions: [{ name: 'Name', type: 'string' }],
            rows: [{ cells: ['web-0'] }],
          });
        }
        return send(200, { kind: 'PodList', apiVersion: 'v1', metadata: {}, items: [{ metadata: { name: 'web-0', namespace: 'default' } }] });
      case '/api/v1/namespaces':
        return send(200, {
          kind: 'NamespaceList',
          apiVersion: 'v1',
          metadata: {},
          items: [{ metadata: { name: 'default' } }, { metadata: { name: 'kube-system' } }],
        });
      case '/api/v1/namespaces/secret/pods':
        return send(
          403,
          status(403, 'Forbidden', 'pods is forbidden: User "jane" cannot list resource "pods" in API group "" in the namespace "secret"', { kind: 'pods' }),
        );
      case '/apis/apps/v1/namespaces/default/deployments/missing':
        return send(404, status(404, 'NotFound', 'deployments.apps "missing" not found', { name: 'missing', group: 'apps', kind: 'deployments' }));
      case '/api/v1/namespaces/default/configmaps':
        if (req.method === 'POST') return send(409, status(409, 'AlreadyExists', 'configmaps "cm" already exists', { name: 'cm', kind: 'configmaps' }));
        break;
      case '/api/v1/namespaces/default/services':
        if (req.method === 'POST') {
          return send(
            422,
            status(422, 'Invalid', 'Service "s" is invalid', { name: 's', kind: 'Service', causes: [{ field: 'spec.ports', message: 'Required value' }] }),
          );
        }
        break;
    }
    send(404, status(404, 'NotFound', 'the server could not find the requested resource'));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    url: `https://127.0.0.1:${port}`,
    seen,
    addGadgets: () => {
      gadgets = true;
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
