/**
 * port_forward_start / _list / _stop against the real test cluster: KWOK plays the kubelet and
 * forwards the pods' ports to TCP servers this file runs (tests/cluster/kwok-port-forward.ts), so
 * real bytes go local listener → WebSocket → API server → KWOK → server here and back. Checked: a
 * byte-exact round trip, a given local port and one in use, parallel connections, a client that
 * stops reading under 16 MB, two forwards at once, several ports of a Service (named targetPorts),
 * a StatefulSet, the list's counters and ended forwards, stop (the listener is gone), the server's
 * end (the listener is gone), a replaced Deployment pod (the next connection reaches the new pod,
 * the list says so), a directly named pod that goes away, an error on the pod's side, the idle
 * timeout, the settings page's list, the SSH-tunnelled context, ports and targets that cannot be
 * forwarded, and the refusals (class off, read-only context, the restricted user's 403).
 */
import { randomBytes } from 'node:crypto';
import { connect, createServer, type Server } from 'node:net';
import { createServer as createHttpServer } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testCluster } from '../cluster/context.js';
import { PORT_FORWARD_TARGETS as T } from '../cluster/kwok-port-forward.js';
import { apply, createNamespaces, deleteNamespaces, eventually, kubectl, startToolEnv, textOf, uniqueName, type ToolEnv } from './helpers.js';
import { answeringClient, startDestructiveEnv } from './destructive-fixtures.js';

const info = testCluster();
const ns = uniqueName('kz-t-pf');
const HELLO = 'hello from the http target';
let env: ToolEnv;
const servers: Server[] = [];

/** Writes `data` to 127.0.0.1:port and reads until as many bytes came back (or the peer closed or reset). */
function roundTrip(port: number, data: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let got = 0;
    socket.on('data', (c: Buffer) => {
      chunks.push(c);
      got += c.length;
      if (got >= data.length) socket.end();
    });
    socket.on('close', () => resolve(Buffer.concat(chunks)));
    // A connection the forward cannot carry is closed at once, as kubectl closes it: a reset when the
    // client's bytes were still unread. Callers see what came back (nothing) and judge that.
    socket.on('error', (err: NodeJS.ErrnoException) => (err.code === 'ECONNRESET' ? undefined : reject(err)));
    socket.write(data);
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

function connectError(port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(undefined);
    });
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code));
  });
}

const idOf = (text: string) => /^Forwarding (pf-[0-9a-f]+):/.exec(text)?.[1];
const portsOf = (text: string) => [...text.matchAll(/http:\/\/127\.0\.0\.1:(\d+)/g)].map((m) => Number(m[1]));

async function start(args: Record<string, unknown>, on: ToolEnv = env) {
  const r = await on.callConfirmed('port_forward_start', { namespace: ns, ...args });
  expect(r.isError, r.text).toBe(false);
  return { id: idOf(r.text)!, ports: portsOf(r.text), text: r.text, questions: r.questions };
}

async function readyPods(app: string): Promise<string[]> {
  const out = await kubectl(info, [
    'get',
    'pods',
    '-n',
    ns,
    '-l',
    `app=${app}`,
    '-o',
    'jsonpath={range .items[?(@.status.phase=="Running")]}{.metadata.name}{"\\n"}{end}',
  ]);
  return out.split('\n').filter(Boolean);
}

beforeAll(async () => {
  const echo = createServer((s) => s.pipe(s));
  const http = createHttpServer((_req, res) => res.end(HELLO));
  servers.push(echo, http as unknown as Server);
  // The targets KWOK dials are fixed ports (the cluster's configuration is fingerprinted): fail here, by name, if one is taken.
  for (const [server, port] of [
    [echo, T.echo.targetPort],
    [http, T.http.targetPort],
  ] as const) {
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err) => reject(new Error(`cannot listen on 127.0.0.1:${port}, a port the test cluster forwards to: ${err.message}`)));
      server.listen(port, '127.0.0.1', resolve);
    });
  }
  env = await startDestructiveEnv();
  await createNamespaces(info, ns);
  const ports = `ports: [{name: echo, containerPort: ${T.echo.podPort}}, {name: http, containerPort: ${T.http.podPort}}, {name: refused, containerPort: ${T.refused.podPort}}]`;
  await apply(
    info,
    `apiVersion: v1
kind: Pod
metadata: {name: solo, namespace: ${ns}}
spec:
  containers: [{name: c, image: busybox, ${ports}}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: ${ns}}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: c, image: busybox, ${ports}}]
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: ${ns}}
spec:
  selector: {app: web}
  ports: [{name: www, port: 80, targetPort: http}, {name: echo, port: 7, targetPort: echo}]
`,
  );
  expect(await eventually(async () => (await readyPods('web')).length === 1, 60_000)).toBe(true);
});

afterAll(async () => {
  await env?.close();
  for (const s of servers) s.close();
  await deleteNamespaces(info, ns);
});

describe('port_forward_start', () => {
  it('forwards a free local port to a pod: the bytes come back exactly, and the question names what is forwarded', async () => {
    const fw = await start({ target: 'pod/solo', ports: [`:${T.echo.podPort}`] });
    expect(fw.questions).toHaveLength(1);
    expect(fw.questions[0]).toContain(`127.0.0.1:<a free port> → port ${T.echo.podPort} of pod solo (namespace ${ns}, context kz-admin)?`);
    expect(fw.ports).toHaveLength(1);
    const data = randomBytes(256 * 1024);
    expect((await roundTrip(fw.ports[0]!, data)).equals(data)).toBe(true);

    const list = await env.call('port_forward_list');
    expect(list).toContain(`${fw.id}: pod/solo → pod solo (namespace ${ns}, context kz-admin)`);
    expect(list).toContain(`127.0.0.1:${fw.ports[0]} → ${T.echo.podPort}`);
    expect(list).toMatch(new RegExp(`connections 1 \\(\\d open\\), bytes in ${data.length} / out ${data.length}`));

    await env.call('port_forward_stop', { id: fw.id });
    expect(await connectError(fw.ports[0]!)).toBe('ECONNREFUSED');
    const after = await env.call('port_forward_list');
    expect(after).not.toContain(`${fw.id}: pod/solo`);
    expect(after).toMatch(new RegExp(`Ended lately: ${fw.id} \\(pod/solo, 127\\.0\\.0\\.1:${fw.ports[0]}\\): stopped at \\d\\d:\\d\\d:\\d\\d`));
  });

  it('forwards several ports of a Service at once (named targetPorts), beside a second forward', async () => {
    const svc = await start({ target: 'svc/web', ports: [':80', ':echo'] });
    const [pod] = await readyPods('web');
    expect(svc.questions[0]).toContain(
      `127.0.0.1:<a free port> → port 80 (pod port ${T.http.podPort}), 127.0.0.1:<a free port> → port echo (pod port ${T.echo.podPort}) of service/web → pod ${pod}`,
    );
    const solo = await start({ target: 'solo', ports: [`:${T.echo.podPort}`] });
    expect(await (await fetch(`http://127.0.0.1:${svc.ports[0]}/`)).text()).toBe(HELLO);
    const a = Buffer.from('through the service');
    const b = Buffer.from('through the pod, at the same time');
    const [viaSvc, viaPod] = await Promise.all([roundTrip(svc.ports[1]!, a), roundTrip(solo.ports[0]!, b)]);
    expect(viaSvc.toString()).toBe(a.toString());
    expect(viaPod.toString()).toBe(b.toString());
    const list = await env.call('port_forward_list');
    expect(list).toContain(`${svc.id}: svc/web → pod ${pod}`);
    expect(list).toContain(`${solo.id}: solo → pod solo`);
    const stopped = await env.call('port_forward_stop', { all: true });
    expect(stopped).toContain('Stopped 2 port forwards');
    for (const p of [...svc.ports, ...solo.ports]) expect(await connectError(p)).toBe('ECONNREFUSED');
  });

  it('listens on the local port asked for, carries parallel connections and megabytes, and refuses a port in use', async () => {
    const local = await freePort();
    const fw = await start({ target: 'pod/solo', ports: [`${local}:${T.echo.podPort}`] });
    expect(fw.ports).toEqual([local]);
    const payloads = Array.from({ length: 4 }, () => randomBytes(2 * 1024 * 1024));
    const back = await Promise.all(payloads.map((p) => roundTrip(local, p)));
    for (const [i, b] of back.entries()) expect(b.equals(payloads[i]!), `connection ${i}`).toBe(true);
    expect(await env.call('port_forward_list')).toContain(`connections 4 (`);
    const busy = await env.callConfirmed('port_forward_start', { namespace: ns, target: 'pod/solo', ports: [`${local}:${T.echo.podPort}`] });
    expect(busy.isError).toBe(true);
    expect(busy.text).toContain(`Local port 127.0.0.1:${local} is already in use; nothing was forwarded.`);
    await env.call('port_forward_stop', { id: fw.id });
  });

  it('holds 16 MB for a client that stops reading for a while, and delivers it all in order', async () => {
    const fw = await start({ target: 'pod/solo', ports: [`:${T.echo.podPort}`] });
    const data = randomBytes(16 * 1024 * 1024);
    const back = await new Promise<Buffer>((resolve, reject) => {
      const socket = connect(fw.ports[0]!, '127.0.0.1');
      const chunks: Buffer[] = [];
      let got = 0;
      socket.pause();
      setTimeout(() => socket.resume(), 1500);
      socket.on('data', (c: Buffer) => {
        chunks.push(c);
        got += c.length;
        if (got >= data.length) socket.end();
      });
      socket.on('close', () => resolve(Buffer.concat(chunks)));
      socket.on('error', reject);
      socket.write(data);
    });
    expect(back.length).toBe(data.length);
    expect(back.equals(data)).toBe(true);
    await env.call('port_forward_stop', { id: fw.id });
  });

  it('explains ports it cannot forward before asking anything', async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ target: 'pod/solo', ports: ['80:90:100'] }, 'ports: "80:90:100" is not [LOCAL:]REMOTE.'],
      [{ target: 'svc/web', ports: ['8443'] }, 'service/web has no port 8443; its ports: 80 (www), 7 (echo).'],
      [{ target: 'pod/solo', ports: [':metrics'] }, 'pod solo has no container port named "metrics"; named ports: echo (7000), http (8080), refused (9000).'],
      [{ target: 'cm/settings', ports: ['80'] }, 'Cannot forward to a ConfigMap ("cm/settings").'],
    ];
    for (const [args, message] of cases) {
      const r = await env.callConfirmed('port_forward_start', { namespace: ns, ...args });
      expect(r.isError, JSON.stringify(args)).toBe(true);
      expect(r.questions, JSON.stringify(args)).toEqual([]);
      expect(r.text).toContain(message);
    }
  });

  it('shows the forwards on the settings page (JSON API behind its CSRF check, and the page)', async () => {
    const fw = await start({ target: 'pod/solo', ports: [`:${T.echo.podPort}`] });
    const page = await env.server.server.page.start({ port: 0 });
    try {
      const html = await (await fetch(page.url)).text();
      expect(html).toContain('<h2 id="forwards-heading">Port forwards</h2>');
      const csrf = /<meta name="csrf-token" content="([^"]+)">/.exec(html)![1]!;
      const refused = await fetch(new URL('/api/forwards', page.url));
      expect(refused.status).toBe(403);
      const answer = (await (await fetch(new URL('/api/forwards', page.url), { headers: { 'x-csrf-token': csrf } })).json()) as {
        forwards: Array<{ id: string; target: string; pod: string; ports: Array<{ local: string; podPort: number }> }>;
      };
      expect(answer.forwards).toEqual([
        expect.objectContaining({
          id: fw.id,
          target: 'pod/solo',
          pod: 'solo',
          ports: [expect.objectContaining({ local: `127.0.0.1:${fw.ports[0]}`, podPort: T.echo.podPort })],
        }),
      ]);
      expect((await fetch(new URL('/assets/forwards.js', page.url))).status).toBe(200);
      await env.call('port_forward_stop', { id: fw.id });
      const later = (await (await fetch(new URL('/api/forwards', page.url), { headers: { 'x-csrf-token': csrf } })).json()) as {
        forwards: unknown[];
        ended: Array<{ id: string; ended: string }>;
      };
      expect(later.forwards).toEqual([]);
      expect(later.ended[0]).toMatchObject({ id: fw.id, ended: expect.stringMatching(/^stopped at /) });
    } finally {
      await env.server.server.page.stop();
      await env.call('port_forward_stop', { all: true });
    }
  });

  it('follows a Deployment to its new pod when the old one is deleted, and the list says so', async () => {
    const fw = await start({ target: 'deploy/web', ports: [`:${T.echo.podPort}`] });
    const [before] = await readyPods('web');
    expect((await roundTrip(fw.ports[0]!, Buffer.from('one'))).toString()).toBe('one');
    await kubectl(info, ['delete', 'pod', '-n', ns, before!, '--wait=true']);
    const after = await eventually(async () => (await readyPods('web')).find((p) => p !== before), 60_000);
    expect(after).toBeTruthy();
    expect((await roundTrip(fw.ports[0]!, Buffer.from('two'))).toString()).toBe('two');
    const list = await env.call('port_forward_list');
    expect(list).toContain(`${fw.id}: deploy/web → pod ${after}`);
    expect(list).toContain('reconnects 1');
    expect(list).toContain(`pod ${before} is gone; now forwarding to pod ${after}`);
    await env.call('port_forward_stop', { id: fw.id });
  });

  it('says so, and follows no other pod, when a pod named directly goes away', async () => {
    await apply(info, `apiVersion: v1\nkind: Pod\nmetadata: {name: lonely, namespace: ${ns}}\nspec:\n  containers: [{name: c, image: busybox}]\n`);
    await eventually(async () => (await kubectl(info, ['get', 'pod', '-n', ns, 'lonely', '-o', 'jsonpath={.status.phase}'])) === 'Running', 30_000);
    const fw = await start({ target: 'pod/lonely', ports: [`:${T.echo.podPort}`] });
    expect((await roundTrip(fw.ports[0]!, Buffer.from('still here'))).toString()).toBe('still here');
    await kubectl(info, ['delete', 'pod', '-n', ns, 'lonely', '--wait=true']);
    expect((await roundTrip(fw.ports[0]!, Buffer.from('gone?'))).length).toBe(0);
    const list = await env.call('port_forward_list');
    expect(list).toContain(`${fw.id}: pod/lonely → pod lonely`);
    expect(list).toMatch(/connection to 127\.0\.0\.1:\d+ refused: pod lonely is gone\. Stop this forward and start one to another pod/);
    await env.call('port_forward_stop', { id: fw.id });
  });

  it('asks an elicitation-capable client once, and forwards to a StatefulSet pod', async () => {
    await apply(
      info,
      `apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: db, namespace: ${ns}}\nspec:\n  replicas: 1\n  serviceName: db\n  selector: {matchLabels: {app: db}}\n  template:\n    metadata: {labels: {app: db}}\n    spec:\n      containers: [{name: c, image: busybox}]\n`,
    );
    expect(await eventually(async () => (await readyPods('db')).includes('db-0'), 60_000)).toBe(true);
    const { client, asked } = await answeringClient(env, () => true);
    try {
      const r = await client.callTool({ name: 'port_forward_start', arguments: { target: 'sts/db', ports: [`:${T.echo.podPort}`], namespace: ns } });
      const text = textOf(r);
      expect(r.isError, text).toBeFalsy();
      expect(asked).toEqual([expect.stringContaining(`→ port ${T.echo.podPort} of statefulset/db → pod db-0 (namespace ${ns}, context kz-admin)?`)]);
      const [port] = portsOf(text);
      expect((await roundTrip(port!, Buffer.from('to db-0'))).toString()).toBe('to db-0');
      await env.call('port_forward_stop', { id: idOf(text) });
    } finally {
      await client.close();
    }
  });

  it("closes the connection when the pod's side fails (nothing listens there) and records why", async () => {
    const fw = await start({ target: 'pod/solo', ports: [`:${T.refused.podPort}`] });
    const back = await roundTrip(fw.ports[0]!, Buffer.from('anyone there?'));
    expect(back.length).toBe(0);
    const list = await eventually(async () => {
      const text = await env.call('port_forward_list');
      return text.includes('failed connections 1') ? text : '';
    }, 10_000);
    expect(list).toContain(`failed on the pod's side: error forwarding port ${T.refused.podPort} to pod solo/${ns}`);
    expect(list).toContain('connection refused');
    await env.call('port_forward_stop', { id: fw.id });
  });

  it('ends a forward after its idle timeout', async () => {
    const fw = await start({ target: 'pod/solo', ports: [`:${T.echo.podPort}`], idleTimeoutSeconds: 5 });
    expect(fw.text).toContain('5 s without traffic');
    // Watched through the list: a probing connection would itself count as traffic.
    const ended = await eventually(async () => {
      const text = await env.call('port_forward_list');
      return text.includes(`${fw.id}: pod/solo`) ? '' : text;
    }, 15_000);
    expect(ended).toMatch(new RegExp(`${fw.id} \\(pod/solo, 127\\.0\\.0\\.1:${fw.ports[0]}\\): ended after [5-9] s without traffic \\(idle timeout\\)`));
    expect(await connectError(fw.ports[0]!)).toBe('ECONNREFUSED');
  });

  it('works through the SSH-tunnelled context kz-ssh', async () => {
    const fw = await start({ target: 'svc/web', ports: [':7'], context: 'kz-ssh' });
    expect(fw.text).toContain('context kz-ssh');
    const data = randomBytes(64 * 1024);
    expect((await roundTrip(fw.ports[0]!, data)).equals(data)).toBe(true);
    await env.call('port_forward_stop', { id: fw.id });
  });

  it('explains the API server refusing the restricted user (403), before anything listens', async () => {
    await apply(info, `apiVersion: v1\nkind: Pod\nmetadata: {name: ${ns}, namespace: kz-readonly-ns}\nspec:\n  containers: [{name: c, image: busybox}]\n`);
    try {
      await eventually(async () => (await kubectl(info, ['get', 'pod', '-n', 'kz-readonly-ns', ns, '-o', 'jsonpath={.status.phase}'])) === 'Running', 30_000);
      const r = await env.callConfirmed('port_forward_start', {
        target: `pod/${ns}`,
        ports: [`:${T.echo.podPort}`],
        context: 'kz-restricted',
        namespace: 'kz-readonly-ns',
      });
      expect(r.isError).toBe(true);
      expect(r.text).toMatch(/forbidden|not allowed|403/i);
      expect(r.text).toContain('pods/portforward');
      // The upgrade is a GET, and RBAC names it so: the hint checks the verb the API server judged.
      expect(r.text).toContain('kubectl auth can-i get pods/portforward -n kz-readonly-ns');
      expect(await env.call('port_forward_list')).not.toContain(`pod/${ns}`);
    } finally {
      await kubectl(info, ['delete', 'pod', '-n', 'kz-readonly-ns', ns, '--wait=false'], { allowFail: true });
    }
  });
});

describe('port forwards and the server', () => {
  it('closes every listener when the server stops', async () => {
    const other = await startDestructiveEnv();
    const fw = await start({ target: 'pod/solo', ports: [`:${T.echo.podPort}`] }, other);
    expect((await roundTrip(fw.ports[0]!, Buffer.from('x'))).toString()).toBe('x');
    await other.close();
    expect(await connectError(fw.ports[0]!)).toBe('ECONNREFUSED');
  });

  it('ends open forwards when the person takes the yes back: the tool turned off, or the context made read-only', async () => {
    const other = await startDestructiveEnv();
    try {
      const settings = other.server.server.settings;
      const a = await start({ target: 'pod/solo', ports: [`:${T.echo.podPort}`] }, other);
      const b = await start({ target: 'pod/solo', ports: [`:${T.echo.podPort}`] }, other);
      expect((await roundTrip(a.ports[0]!, Buffer.from('x'))).toString()).toBe('x');
      settings.update((draft) => void (draft.policy.readOnlyContexts = ['kz-admin']));
      expect(await eventually(async () => (await connectError(a.ports[0]!)) === 'ECONNREFUSED', 5000, 100)).toBe(true);
      const list = await other.call('port_forward_list');
      for (const id of [a.id, b.id]) expect(list).toMatch(new RegExp(`${id} \\([^)]*\\): ended: context kz-admin was made read-only in the settings at `));
      expect(await connectError(b.ports[0]!)).toBe('ECONNREFUSED');
      settings.update((draft) => void (draft.policy.readOnlyContexts = []));

      const c = await start({ target: 'pod/solo', ports: [`:${T.echo.podPort}`] }, other);
      settings.update((draft) => void (draft.policy.destructiveTools = ['drain_node']));
      expect(await eventually(async () => (await connectError(c.ports[0]!)) === 'ECONNREFUSED', 5000, 100)).toBe(true);
      expect(await other.call('port_forward_list')).toMatch(new RegExp(`${c.id} \\([^)]*\\): ended: port_forward_start was turned off in the settings at `));
    } finally {
      await other.close();
    }
  });

  it('refuses to start with the destructive class off, and still lists and stops', async () => {
    const plain = await startToolEnv();
    try {
      const names = (await plain.client.listTools()).tools.map((t) => t.name);
      expect(names).toEqual(expect.arrayContaining(['port_forward_list', 'port_forward_stop']));
      expect(names).not.toContain('port_forward_start');
      const r = await plain.callRaw('port_forward_start', { target: 'pod/solo', namespace: ns, ports: ['7000'] });
      expect(r.text).toContain('tool port_forward_start is disabled: its safety class "destructive" is not enabled');
      expect(await plain.call('port_forward_stop', { all: true })).toBe('No port forwards were open.');
    } finally {
      await plain.close();
    }
  });

  it('refuses a read-only context before asking anything', async () => {
    const ro = await startDestructiveEnv({ readOnlyContexts: ['kz-admin'] });
    try {
      const r = await ro.callConfirmed('port_forward_start', { target: 'pod/solo', namespace: ns, ports: [`:${T.echo.podPort}`] });
      expect(r.isError).toBe(true);
      expect(r.questions).toEqual([]);
      expect(r.text).toContain('context kz-admin is read-only on this server');
    } finally {
      await ro.close();
    }
  });
});
