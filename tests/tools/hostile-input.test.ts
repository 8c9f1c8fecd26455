/**
 * What a model sends can neither freeze the server nor widen an answer, checked through the real
 * tools against the real test cluster:
 *   - a backtracking log filter and a megabyte `kind` leave another session answering;
 *   - blank, `.` and `..` names and namespaces are refused before any request, so no list, no
 *     other object and no Secret value comes back, and apply_yaml sends nothing;
 *   - a YAML alias bomb is refused before it is expanded (apply_yaml's manifest, Helm values).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { connectClient } from '../helpers/server.js';
import { apply, createNamespaces, deleteNamespaces, eventually, startToolEnv, uniqueName, type ToolEnv } from './helpers.js';

const ns = uniqueName('kz-t-hostile');
const other = uniqueName('kz-t-hostile-b');
const password = 'hunter2-hostile-secret';
let env: ToolEnv;
let bystander: Client;

beforeAll(async () => {
  env = await startToolEnv();
  ({ client: bystander } = await connectClient(env.server.url, env.server.token));
  await createNamespaces(env.info, ns, other);
  const secret = (namespace: string) => `apiVersion: v1
kind: Secret
metadata: {name: db-credentials, namespace: ${namespace}}
data: {password: ${Buffer.from(password).toString('base64')}}`;
  await apply(
    env.info,
    [
      secret(ns),
      secret(other),
      `apiVersion: v1
kind: Pod
metadata: {name: single, namespace: ${ns}}
spec: {containers: [{name: app, image: busybox}]}`,
    ].join('\n---\n'),
  );
  await eventually(async () => (await env.kubectl(['-n', ns, 'get', 'pod', 'single', '-o', 'jsonpath={.status.phase}'])) === 'Running', 60_000);
});

afterAll(async () => {
  await bystander?.close().catch(() => undefined);
  if (env) {
    await deleteNamespaces(env.info, ns, other);
    await env.close();
  }
});

/**
 * Runs `call` while another session keeps calling list_contexts; resolves with the call's result
 * and the slowest of the other session's answers. Generous bound in the assertions: a second.
 */
async function whileAnotherSessionCalls<T>(call: () => Promise<T>): Promise<{ result: T; slowestMs: number; answers: number }> {
  let finished = false;
  let slowestMs = 0;
  let answers = 0;
  const pending = call().finally(() => {
    finished = true;
  });
  const poll = (async () => {
    while (!finished) {
      const started = performance.now();
      await bystander.callTool({ name: 'list_contexts', arguments: {} });
      slowestMs = Math.max(slowestMs, performance.now() - started);
      answers++;
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  const result = await pending;
  await poll;
  return { result, slowestMs, answers };
}

describe('the event loop stays free', () => {
  it('a backtracking /regex/ log filter runs in linear time while another session keeps answering', async () => {
    // This pattern backtracks exponentially on each 24-character KWOK log line: 3 to 4 s of one core
    // per line on the JavaScript engine, during which no other session got an answer.
    const filter = '/(.|.)+(.|.)?(.|.)?X/';
    const { result, slowestMs } = await whileAnotherSessionCalls(() => env.callRaw('get_pod_logs', { name: 'single', namespace: ns, filter }));
    expect(result.isError).toBe(false);
    expect(result.text).toContain(`no line matches ${filter}; scanned 10 lines`);
    expect(slowestMs).toBeLessThan(1000);
  });

  it("a lookaround filter is refused with RE2's rule, naming the argument", async () => {
    const r = await env.callRaw('get_pod_logs', { name: 'single', namespace: ns, filter: '/line(?=5)/' });
    expect(r.isError).toBe(true);
    expect(r.text).toMatch(/filter: "line\(\?=5\)" is not a valid regular expression .*no lookaround/s);
  });

  it('a megabyte `kind` is refused by its length, without a closest-name search, while another session answers', async () => {
    const kind = 'k'.repeat(1024 * 1024);
    const { result, slowestMs } = await whileAnotherSessionCalls(() => env.callRaw('list_resources', { kind, namespace: ns }));
    expect(result.isError).toBe(true);
    expect(result.text).toContain('`kind` is 1048576 characters long; it takes at most 1024 characters');
    expect(result.text.length).toBeLessThan(2000);
    expect(slowestMs).toBeLessThan(1000);
  });
});

describe('an answer is only ever the object asked for', () => {
  const noSecretValue = (text: string) => {
    expect(text).not.toContain(password);
    expect(text).not.toContain(Buffer.from(password).toString('base64'));
  };

  it('get_resource_yaml refuses a blank name instead of returning the whole list', async () => {
    for (const name of ['  ', '\t\n']) {
      const r = await env.callRaw('get_resource_yaml', { kind: 'secret', name, namespace: ns });
      expect(r.isError, name).toBe(true);
      expect(r.text).toMatch(/`name` is blank \(only white space\); give it a value/);
      expect(r.text).not.toContain('SecretList');
      noSecretValue(r.text);
    }
  });

  it('get_resource_yaml refuses "." and ".." as a name instead of climbing to the Namespace', async () => {
    for (const args of [{ kind: 'secret', name: '..' }, { name: 'secret/..' }, { kind: 'secret', name: '.' }]) {
      const r = await env.callRaw('get_resource_yaml', { ...args, namespace: ns });
      expect(r.isError, JSON.stringify(args)).toBe(true);
      expect(r.text).toMatch(/name "\.\.?" is not a valid object name.*not "\." or "\.\."/s);
      expect(r.text).not.toContain('kind: Namespace');
    }
  });

  it('a namespace ".." is refused instead of listing Secrets of every namespace', async () => {
    const r = await env.callRaw('list_resources', { kind: 'secrets', namespace: '..' });
    expect(r.isError).toBe(true);
    expect(r.text).toContain('namespace ".." is not a valid namespace name');
    expect(r.text).toContain('DNS-1123');
    expect(r.text).not.toContain(other);
    const y = await env.callRaw('get_resource_yaml', { kind: 'secret', name: 'db-credentials', namespace: '..' });
    expect(y.isError).toBe(true);
    noSecretValue(y.text);
  });

  it('describe_resource refuses a blank name instead of describing a pod that does not exist', async () => {
    const r = await env.callRaw('describe_resource', { kind: 'pod', name: ' ', namespace: ns });
    expect(r.isError).toBe(true);
    expect(r.text).toMatch(/`name` is blank/);
    expect(r.text).not.toContain('Containers:');
    const d = await env.callRaw('describe_resource', { name: 'secret/..', namespace: ns });
    expect(d.isError).toBe(true);
    expect(d.text).not.toContain('Namespace');
  });

  it('get_pod_logs refuses pod/.. before asking for a log', async () => {
    const r = await env.callRaw('get_pod_logs', { name: 'pod/..', namespace: ns });
    expect(r.isError).toBe(true);
    expect(r.text).toContain('name ".." is not a valid object name');
  });

  it('apply_yaml of a ConfigMap named ".." sends nothing to the namespace', async () => {
    const before = await env.kubectl(['get', 'namespace', ns, '-o', 'jsonpath={.metadata.managedFields[*].manager}']);
    const r = await env.callRaw('apply_yaml', { manifest: `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: "..", namespace: ${ns}}\ndata: {a: b}\n` });
    expect(r.isError).toBe(true);
    expect(r.text).toContain('name ".." is not a valid object name');
    expect(await env.kubectl(['get', 'namespace', ns, '-o', 'jsonpath={.metadata.managedFields[*].manager}'])).toBe(before);
    expect(before).not.toContain('kubezilla-mcp');
  });
});

describe('YAML aliases are bounded before they are expanded', () => {
  // ~1 MB of text; every alias written out, ~90 MB per copy of the object.
  const bomb = (indent: string) => `${indent}a: &big ${'x'.repeat(900_000)}\n${Array.from({ length: 100 }, (_, i) => `${indent}k${i}: *big`).join('\n')}\n`;

  it('apply_yaml refuses an alias bomb, naming the document, and creates nothing', async () => {
    const manifest = `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: bomb, namespace: ${ns}}\ndata:\n${bomb('  ')}`;
    const r = await env.callRaw('apply_yaml', { manifest, dryRun: true });
    expect(r.isError).toBe(true);
    expect(r.text).toContain('manifest, document 1: the YAML would expand to more than 4194304 bytes through its aliases; nothing was used.');
    expect(await env.kubectl(['-n', ns, 'get', 'configmap', 'bomb', '--ignore-not-found'])).toBe('');
  });

  it('helm_install refuses an alias bomb in values before running helm', async () => {
    const r = await env.callRaw('helm_install', { release: 'bomb', chart: 'kz-demo', repo: env.info.charts.repoUrl, namespace: ns, values: bomb('') });
    expect(r.isError).toBe(true);
    expect(r.text).toContain('values: the YAML would expand to more than 4194304 bytes through its aliases');
  });
});
