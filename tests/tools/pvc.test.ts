/**
 * pvc_browse, pvc_download and pvc_upload against the real test cluster. Claims are bound to real
 * PersistentVolumes; KWOK's exec emulation (tests/cluster/kwok-exec.ts) runs find, stat and tar as
 * real processes on this machine, so the files are real files:
 *   - a pod that mounts a claim at an absolute path under execRoot: that directory is its volume;
 *   - a helper pod's working directory is the claim (its commands use relative paths), and KWOK runs
 *     every exec in execRoot, so for a helper the claim's root is execRoot itself.
 * Checked: listing, text and binary reads, writes read back from disk, the size caps, overwrite,
 * helper pods removed after success, failure and cancellation, a ReadWriteOnce claim's helper
 * pinned to the node that has it, the restricted user's 403 and the SSH-tunnelled context.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testCluster } from '../cluster/context.js';
import { FAULT_LABEL } from '../cluster/faults.js';
import { execRoot } from '../cluster/kwok-exec.js';
import { answeringClient, startDestructiveEnv } from './destructive-fixtures.js';
import { apply, createNamespaces, deleteNamespaces, eventually, kubectl, uniqueName, type ToolEnv } from './helpers.js';

const info = testCluster();
const ns = uniqueName('kz-t-pvc');
/** What the pod `user` mounts claim `used` at: a directory on this machine, where KWOK runs exec. */
const volume = join(execRoot(info.stateDir), ns, 'vol');
/** Where a helper pod's commands land (execRoot), the test's own directory in it. */
const helperDir = join(execRoot(info.stateDir), ns, 'helper');
const BINARY = Buffer.from([0, 1, 2, 255, 254, 0, 10, 13, 128, 7]);
let env: ToolEnv;

function claim(name: string, opts: { nodeAffinity?: boolean } = {}): string {
  const pv = `${ns}-${name}`;
  const affinity = opts.nodeAffinity
    ? '\n  nodeAffinity: {required: {nodeSelectorTerms: [{matchExpressions: [{key: kz-test-nowhere, operator: In, values: ["x"]}]}]}}'
    : '';
  return `apiVersion: v1
kind: PersistentVolume
metadata: {name: ${pv}}
spec:
  capacity: {storage: 10Mi}
  accessModes: [ReadWriteOnce]
  storageClassName: ""
  persistentVolumeReclaimPolicy: Retain
  hostPath: {path: /tmp/${pv}}
  claimRef: {namespace: ${ns}, name: ${name}}${affinity}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: ${name}, namespace: ${ns}}
spec:
  accessModes: [ReadWriteOnce]
  storageClassName: ""
  volumeName: ${pv}
  resources: {requests: {storage: 10Mi}}
---
`;
}

const helpers = async () => (await kubectl(info, ['get', 'pods', '-n', ns, '-l', 'kubezilla.dev/pvc-helper', '-o', 'name'])).trim();
const noHelperLeft = () => eventually(async () => (await helpers()) === '', 20_000, 300);
const call = (tool: string, args: Record<string, unknown>) => env.callConfirmed(tool, { namespace: ns, ...args });

beforeAll(async () => {
  mkdirSync(join(volume, 'sub'), { recursive: true });
  mkdirSync(helperDir, { recursive: true });
  writeFileSync(join(volume, 'hello.txt'), 'hello\nworld\n');
  writeFileSync(join(volume, 'bin.dat'), BINARY);
  writeFileSync(join(volume, 'sub', 'deep.txt'), 'deep\n');
  writeFileSync(join(volume, 'big.txt'), Array.from({ length: 20000 }, (_, i) => `line ${i + 1}`).join('\n'));
  writeFileSync(join(volume, 'big.bin'), Buffer.alloc(100_000, 0));
  writeFileSync(join(helperDir, 'h.txt'), 'from the helper\n');
  env = await startDestructiveEnv();
  await createNamespaces(info, ns);
  await apply(
    info,
    claim('used') +
      claim('free') +
      claim('pinned') +
      claim('nowhere', { nodeAffinity: true }) +
      `apiVersion: v1
kind: Pod
metadata: {name: user, namespace: ${ns}}
spec:
  containers: [{name: app, image: busybox, volumeMounts: [{name: data, mountPath: ${volume}}]}]
  volumes: [{name: data, persistentVolumeClaim: {claimName: used}}]
---
# Scheduled, holding its ReadWriteOnce claim on its node, but never running (KWOK plays an image pull failure).
apiVersion: v1
kind: Pod
metadata: {name: stuck, namespace: ${ns}, labels: {${FAULT_LABEL}: imagepull}}
spec:
  containers: [{name: app, image: busybox, volumeMounts: [{name: data, mountPath: /data}]}]
  volumes: [{name: data, persistentVolumeClaim: {claimName: pinned}}]
`,
  );
  const ready = await eventually(
    async () => (await kubectl(info, ['get', 'pod', 'user', '-n', ns, '-o', 'jsonpath={.status.phase}'], { allowFail: true })) === 'Running',
    60_000,
  );
  expect(ready, 'pod user Running').toBe(true);
  const stuckNode = await eventually(
    async () => (await kubectl(info, ['get', 'pod', 'stuck', '-n', ns, '-o', 'jsonpath={.spec.nodeName}'])) || undefined,
    60_000,
  );
  expect(stuckNode, 'pod stuck scheduled').toBeTruthy();
}, 120_000);

afterAll(async () => {
  await env?.close();
  await deleteNamespaces(info, ns);
  for (const c of ['used', 'free', 'pinned', 'nowhere'])
    await kubectl(info, ['delete', 'pv', `${ns}-${c}`, '--wait=false', '--ignore-not-found'], { allowFail: true });
});

describe('pvc_browse', () => {
  it('lists a directory through the pod that mounts the claim, after the person confirmed', async () => {
    const r = await call('pvc_browse', { claim: 'used' });
    expect(r.isError, r.text).toBe(false);
    const via = `pod user (container app, where it is mounted at ${volume})`;
    expect(r.questions).toEqual([`List / in PersistentVolumeClaim used (namespace ${ns}, context ${info.contexts.admin}) through ${via}?`]);
    expect(r.text.split('\n')[0]).toBe(`PersistentVolumeClaim used (namespace ${ns}, context ${info.contexts.admin}), / through ${via}: 5 entries.`);
    expect(r.text).toMatch(/^TYPE +SIZE +MODIFIED +MODE +NAME$/m);
    expect(r.text).toMatch(/^regular file +10 +\S+Z +644 +bin\.dat$/m);
    expect(r.text).toMatch(/^regular file +12 +\S+ +\d+ +hello\.txt$/m);
    expect(r.text).toMatch(/^directory +\d+ +\S+ +\d+ +sub$/m);
    const sub = await call('pvc_browse', { claim: 'used', path: '/sub' });
    expect(sub.text).toMatch(/: 1 entry\.\n/);
    expect(sub.text).toMatch(/ deep\.txt$/m);
  });

  it('through a helper pod when no running pod mounts the claim; the helper is removed afterwards', async () => {
    const r = await call('pvc_browse', { claim: 'free', path: `/${ns}/helper` });
    expect(r.isError, r.text).toBe(false);
    expect(r.questions[0]).toContain('through a helper pod (image busybox:1.37, mounting it read-only; removed afterwards)?');
    expect(r.text).toMatch(/ h\.txt$/m);
    expect(await noHelperLeft()).toBe(true);
  });

  it('refuses a path that leaves the claim, and names one that does not exist', async () => {
    const up = await env.callRaw('pvc_browse', { claim: 'used', namespace: ns, path: '/sub/../../etc' });
    expect(up.text).toMatch(/^Error: path: "\/sub\/\.\.\/\.\.\/etc" goes outside the claim with "\.\."/);
    const missing = await call('pvc_browse', { claim: 'used', path: '/nope' });
    expect(missing.text).toMatch(/^Error: \/nope does not exist in PersistentVolumeClaim used/);
    const noClaim = await env.callRaw('pvc_browse', { claim: 'ghost', namespace: ns });
    expect(noClaim.text).toMatch(/^Error: PersistentVolumeClaim "ghost" not found in namespace/);
  });

  it('pins the helper to the node of a pod already holding a ReadWriteOnce claim, so it does not hang Pending', async () => {
    const node = await kubectl(info, ['get', 'pod', 'stuck', '-n', ns, '-o', 'jsonpath={.spec.nodeName}']);
    const r = await call('pvc_browse', { claim: 'pinned', path: `/${ns}/helper` });
    expect(r.isError, r.text).toBe(false);
    expect(r.questions[0]).toMatch(
      new RegExp(`through a helper pod \\(image busybox:1\\.37, mounting it read-only on node ${node}, where stuck \\(ImagePullBackOff|ErrImagePull`),
    );
    expect(await noHelperLeft()).toBe(true);
  });

  it('removes the helper when the call is cancelled while it waits to start', async () => {
    const { client } = await answeringClient(env, () => true);
    const controller = new AbortController();
    try {
      const result = client
        .callTool({ name: 'pvc_browse', arguments: { claim: 'nowhere', namespace: ns } }, undefined, { signal: controller.signal, timeout: 60_000 })
        .catch((err: unknown) => err);
      expect(await eventually(async () => (await helpers()) !== '', 15_000, 200)).toBe(true);
      controller.abort();
      expect(await result).toBeInstanceOf(Error);
    } finally {
      await client.close();
    }
    expect(await noHelperLeft()).toBe(true);
  });

  it.skipIf(info.external)("the restricted user gets the API server's 403 when the helper would be created", async () => {
    const rns = info.restrictedNamespace!;
    const name = uniqueName('kz-t-pvc');
    await apply(
      info,
      `apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: ${name}, namespace: ${rns}}\nspec:\n  accessModes: [ReadWriteOnce]\n  resources: {requests: {storage: 1Mi}}\n`,
    );
    try {
      const r = await env.callConfirmed('pvc_browse', { claim: name, namespace: rns, context: info.contexts.restricted! });
      expect(r.isError).toBe(true);
      expect(r.text).toMatch(/Forbidden: user "kz-restricted" .*cannot create pods/);
    } finally {
      await kubectl(info, ['delete', 'pvc', name, '-n', rns, '--wait=false'], { allowFail: true });
    }
  });

  it.skipIf(info.external)('works through the SSH-tunnelled context', async () => {
    const r = await call('pvc_browse', { claim: 'used', context: info.contexts.ssh! });
    expect(r.isError, r.text).toBe(false);
    expect(r.text).toMatch(/ hello\.txt$/m);
  });
});

describe('pvc_download', () => {
  it('reads a text file as text, and a binary one as base64', async () => {
    const text = await call('pvc_download', { claim: 'used', path: '/hello.txt' });
    expect(text.questions[0]).toMatch(/^Read \/hello\.txt from PersistentVolumeClaim used /);
    expect(text.text).toMatch(/^PersistentVolumeClaim used .*, \/hello\.txt \(12 bytes, modified \S+\) through pod user .*, as text:\nhello\nworld\n$/);
    const bin = await call('pvc_download', { claim: 'used', path: '/bin.dat' });
    expect(bin.text).toMatch(/, as base64 \(it is not UTF-8 text\):\n/);
    expect(Buffer.from(bin.text.split('\n').at(-1)!, 'base64')).toEqual(BINARY);
    const asText = await call('pvc_download', { claim: 'used', path: '/bin.dat', encoding: 'text' });
    expect(asText.text).toMatch(/^Error: \/bin\.dat in .* is not UTF-8 text\./);
  });

  it('caps the size: the first part of a big text file with a note, a big binary file refused', async () => {
    const big = await call('pvc_download', { claim: 'used', path: '/big.txt' });
    expect(big.isError).toBe(false);
    expect(big.text).toMatch(/\(\d+ bytes, .*; the first \d+ bytes as text \(the answer budget is full\); read further with exec_in_pod/);
    expect(big.text).toContain('\nline 1\nline 2\n');
    expect(big.text).not.toContain('line 20000');
    expect(Buffer.byteLength(big.text)).toBeLessThan(48 * 1024);
    const bin = await call('pvc_download', { claim: 'used', path: '/big.bin' });
    expect(bin.text).toMatch(/^Error: \/big\.bin in .* is 100000 bytes of binary data, over the \d+-byte limit for base64 in one answer\./);
  });

  it('through a helper, which is removed after a failure too', async () => {
    const ok = await call('pvc_download', { claim: 'free', path: `/${ns}/helper/h.txt` });
    expect(ok.text).toMatch(/through a helper pod .*, as text:\nfrom the helper\n$/);
    const missing = await call('pvc_download', { claim: 'free', path: `/${ns}/helper/none.txt` });
    expect(missing.text).toMatch(/^Error: \/\S+\/none\.txt does not exist in PersistentVolumeClaim free/);
    expect(await noHelperLeft()).toBe(true);
  });
});

describe('pvc_upload', () => {
  it('writes a file (directories created), asks first naming claim, path and size, and never replaces without overwrite', async () => {
    const r = await call('pvc_upload', { claim: 'used', path: '/new/dir/conf.ini', content: 'a=1\n' });
    expect(r.isError, r.text).toBe(false);
    expect(r.questions).toEqual([
      `Write 4 bytes to /new/dir/conf.ini in PersistentVolumeClaim used (namespace ${ns}, context ${info.contexts.admin}) through pod user (container app, where it is mounted at ${volume}) (only if no file is there)?`,
    ]);
    expect(r.text).toMatch(/^Wrote 4 bytes to \/new\/dir\/conf\.ini in PersistentVolumeClaim used /);
    expect(readFileSync(join(volume, 'new/dir/conf.ini'), 'utf8')).toBe('a=1\n');

    const again = await call('pvc_upload', { claim: 'used', path: '/new/dir/conf.ini', content: 'a=2\n' });
    expect(again.text).toMatch(/^Error: \/new\/dir\/conf\.ini already exists in .* \(4 bytes\); nothing was written\./);
    expect(readFileSync(join(volume, 'new/dir/conf.ini'), 'utf8')).toBe('a=1\n');
    const replaced = await call('pvc_upload', { claim: 'used', path: '/new/dir/conf.ini', content: 'a=22\n', overwrite: true });
    expect(replaced.questions[0]).toContain(', replacing the file there if there is one?');
    expect(replaced.text).toMatch(/, replacing 4 bytes\.$/);
    expect(readFileSync(join(volume, 'new/dir/conf.ini'), 'utf8')).toBe('a=22\n');
  });

  it('writes binary content from base64, read back the same through pvc_download', async () => {
    const r = await call('pvc_upload', { claim: 'used', path: '/up.bin', content: BINARY.toString('base64'), encoding: 'base64' });
    expect(r.isError, r.text).toBe(false);
    expect(readFileSync(join(volume, 'up.bin'))).toEqual(BINARY);
    const back = await call('pvc_download', { claim: 'used', path: '/up.bin' });
    expect(Buffer.from(back.text.split('\n').at(-1)!, 'base64')).toEqual(BINARY);
  });

  it('through a helper (mounting it read-write), removed afterwards', async () => {
    const r = await call('pvc_upload', { claim: 'free', path: `/${ns}/helper/put.txt`, content: 'via helper\n' });
    expect(r.isError, r.text).toBe(false);
    expect(r.questions[0]).toContain('through a helper pod (image busybox:1.37, mounting it read-write; removed afterwards)');
    expect(readFileSync(join(helperDir, 'put.txt'), 'utf8')).toBe('via helper\n');
    expect(await noHelperLeft()).toBe(true);
  });

  it('refuses content over the cap before anything is asked', async () => {
    const r = await env.callRaw('pvc_upload', { claim: 'used', namespace: ns, path: '/huge.txt', content: 'x'.repeat(1024 * 1024 + 1) });
    expect(r.text).toMatch(/^Error: content: 1048577 bytes is over the 1048576-byte limit of one upload\./);
    const bad = await env.callRaw('pvc_upload', { claim: 'used', namespace: ns, path: '/b', content: 'not base64!', encoding: 'base64' });
    expect(bad.text).toMatch(/^Error: content: is not base64/);
  });
});
