// The test cluster's PKI, made with the openssl CLI (ECDSA P-256 leaf keys, an RSA service-account key).
// Everything lands in one directory that lives and dies with the cluster's state directory.
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The name the API server's certificate carries besides 127.0.0.1 and localhost (for TLS through a tunnel). */
export const APISERVER_TLS_NAME = 'kz-apiserver.local';

export interface CertPair {
  cert: string;
  key: string;
}

export interface Pki {
  dir: string;
  ca: CertPair;
  apiserver: CertPair;
  apiserverKubeletClient: CertPair;
  admin: CertPair;
  restricted: CertPair;
  controllerManager: CertPair;
  scheduler: CertPair;
  kwok: CertPair;
  /** A CA of its own for the aggregation layer's front proxy (as kubeadm keeps it), and its one client. */
  frontProxyCa: CertPair;
  frontProxyClient: CertPair;
  /** metrics-server: serves metrics.k8s.io (TLS name metrics-server.kube-system.svc) and logs in with it. */
  metricsServer: CertPair;
  serviceAccountKey: string;
  serviceAccountPub: string;
}

async function openssl(args: string[]): Promise<void> {
  try {
    await run('openssl', args, { maxBuffer: 4 * 1024 * 1024 });
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT') {
      throw new Error('openssl is missing. Install it: apt-get install -y openssl (or run: bash tests/cluster/install-deps.sh)');
    }
    throw new Error(`openssl ${args[0]} failed: ${e.stderr ?? e.message}`);
  }
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1'];

interface LeafSpec {
  name: string;
  cn: string;
  org?: string;
  dns?: string[];
  ips?: string[];
  server?: boolean;
}

async function leaf(dir: string, ca: CertPair, spec: LeafSpec): Promise<CertPair> {
  const key = join(dir, `${spec.name}.key`);
  const cert = join(dir, `${spec.name}.crt`);
  const csr = join(dir, `${spec.name}.csr`);
  const ext = join(dir, `${spec.name}.ext`);
  const subj = `${spec.org ? `/O=${spec.org}` : ''}/CN=${spec.cn}`;
  const sans = [...(spec.dns ?? []).map((d) => `DNS:${d}`), ...(spec.ips ?? []).map((i) => `IP:${i}`)];
  const lines = [
    'basicConstraints=critical,CA:FALSE',
    'keyUsage=critical,digitalSignature,keyEncipherment',
    `extendedKeyUsage=${spec.server ? 'serverAuth,clientAuth' : 'clientAuth'}`,
  ];
  if (sans.length) lines.push(`subjectAltName=${sans.join(',')}`);
  await writeFile(ext, lines.join('\n') + '\n');
  await openssl(['req', '-new', '-nodes', ...EC, '-keyout', key, '-out', csr, '-subj', subj]);
  await openssl([
    'x509',
    '-req',
    '-in',
    csr,
    '-CA',
    ca.cert,
    '-CAkey',
    ca.key,
    '-CAcreateserial',
    '-CAserial',
    join(dir, 'ca.srl'),
    '-days',
    '3650',
    '-out',
    cert,
    '-extfile',
    ext,
  ]);
  return { cert, key };
}

async function selfSignedCa(ca: CertPair, cn: string): Promise<void> {
  await openssl([
    'req',
    '-x509',
    '-new',
    '-nodes',
    ...EC,
    '-keyout',
    ca.key,
    '-out',
    ca.cert,
    '-days',
    '3650',
    '-subj',
    `/CN=${cn}`,
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign,digitalSignature',
  ]);
}

/** Creates a fresh CA and every certificate the cluster needs in `dir` (which must exist). */
export async function createPki(dir: string): Promise<Pki> {
  const ca: CertPair = { cert: join(dir, 'ca.crt'), key: join(dir, 'ca.key') };
  await selfSignedCa(ca, 'kubezilla-test-ca');
  const apiserver = await leaf(dir, ca, {
    name: 'apiserver',
    cn: 'kube-apiserver',
    server: true,
    dns: [APISERVER_TLS_NAME, 'localhost', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local'],
    ips: ['127.0.0.1', '10.96.0.1'],
  });
  const apiserverKubeletClient = await leaf(dir, ca, {
    name: 'apiserver-kubelet-client',
    cn: 'kube-apiserver-kubelet-client',
    org: 'kubeadm:cluster-admins',
  });
  const admin = await leaf(dir, ca, { name: 'admin', cn: 'kz-admin', org: 'system:masters' });
  const restricted = await leaf(dir, ca, { name: 'restricted', cn: 'kz-restricted' });
  const controllerManager = await leaf(dir, ca, { name: 'controller-manager', cn: 'system:kube-controller-manager' });
  const scheduler = await leaf(dir, ca, { name: 'scheduler', cn: 'system:kube-scheduler' });
  // KWOK plays every node's kubelet: it talks to the API server with this identity and serves the
  // kubelet API (logs) with the same certificate.
  const kwok = await leaf(dir, ca, {
    name: 'kwok',
    cn: 'kwok-controller',
    org: 'system:masters',
    server: true,
    dns: ['localhost'],
    ips: ['127.0.0.1'],
  });
  // The API server proxies metrics.k8s.io requests with this client certificate and names the caller in
  // X-Remote-User/X-Remote-Group; metrics-server trusts those headers only from a certificate of this CA
  // with this name, so no ordinary client certificate can claim to be someone else.
  const frontProxyCa: CertPair = { cert: join(dir, 'front-proxy-ca.crt'), key: join(dir, 'front-proxy-ca.key') };
  await selfSignedCa(frontProxyCa, 'kubezilla-test-front-proxy-ca');
  const frontProxyClient = await leaf(dir, frontProxyCa, { name: 'front-proxy-client', cn: 'front-proxy-client' });
  const metricsServer = await leaf(dir, ca, {
    name: 'metrics-server',
    cn: 'system:kz-metrics-server',
    server: true,
    dns: ['metrics-server.kube-system.svc', 'localhost'],
    ips: ['127.0.0.1'],
  });
  const serviceAccountKey = join(dir, 'sa.key');
  const serviceAccountPub = join(dir, 'sa.pub');
  await openssl(['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', serviceAccountKey]);
  await openssl(['pkey', '-in', serviceAccountKey, '-pubout', '-out', serviceAccountPub]);
  return {
    dir,
    ca,
    apiserver,
    apiserverKubeletClient,
    admin,
    restricted,
    controllerManager,
    scheduler,
    kwok,
    frontProxyCa,
    frontProxyClient,
    metricsServer,
    serviceAccountKey,
    serviceAccountPub,
  };
}
