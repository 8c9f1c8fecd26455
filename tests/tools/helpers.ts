/**
 * Shared helpers for the read-tool tests: a real Kubezilla server in this process with the test
 * cluster's kubeconfig (only the built-in tools), a real SDK client over HTTP, and kubectl.
 *
 *   const env = await startToolEnv();          // in beforeAll
 *   const text = await env.call('list_nodes', {});
 *   const err  = await env.callRaw('list_resources', { kind: 'nope' });  // isError, text
 *   await env.close();                          // in afterAll
 *
 * Namespaces: use `uniqueName('kz-t-lr')` per test file and delete them in afterAll
 * (`deleteNamespaces`), so concurrent test files never see each other's objects.
 */
import { randomBytes } from 'node:crypto';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { testCluster, kubectl as runKubectl, type ClusterInfo } from '../cluster/context.js';
import { connectClient, startTestServer, textOf, type TestServer } from '../helpers/server.js';

export { textOf };

export interface ToolEnv {
  info: ClusterInfo;
  server: TestServer;
  client: Client;
  /** Calls a tool; throws (with the tool's text) when the result is an error. */
  call(name: string, args?: Record<string, unknown>): Promise<string>;
  /** Calls a tool and returns the error flag and text, whatever the outcome. */
  callRaw(name: string, args?: Record<string, unknown>): Promise<{ isError: boolean; text: string }>;
  /**
   * What a client without elicitation does after the person said yes: repeats the call with the
   * confirmation token each refusal returns, until it runs (at most `rounds` refusals). Returns the
   * final result and the questions the person was shown.
   */
  callConfirmed(name: string, args?: Record<string, unknown>, rounds?: number): Promise<{ isError: boolean; text: string; questions: string[] }>;
  /** kubectl against the test kubeconfig; throws on a non-zero exit unless `allowFail`. */
  kubectl(args: string[], opts?: { context?: string; input?: string; allowFail?: boolean }): Promise<string>;
  close(): Promise<void>;
}

export async function startToolEnv(options: { settings?: Record<string, unknown>; kubeconfigPaths?: string[]; toolDirs?: string[] } = {}): Promise<ToolEnv> {
  const info = testCluster();
  const server = await startTestServer({
    kubeconfigPaths: options.kubeconfigPaths ?? [info.kubeconfig],
    toolDirs: options.toolDirs ?? [],
    settings: options.settings,
  });
  const { client } = await connectClient(server.url, server.token);
  const callRaw = async (name: string, args: Record<string, unknown> = {}) => {
    const result = await client.callTool({ name, arguments: args }, undefined, { timeout: 60_000 });
    return { isError: result.isError === true, text: textOf(result) };
  };
  return {
    info,
    server,
    client,
    callRaw,
    async call(name, args = {}) {
      const r = await callRaw(name, args);
      if (r.isError) throw new Error(`${name} failed: ${r.text}`);
      return r.text;
    },
    async callConfirmed(name, args = {}, rounds = 3) {
      const questions: string[] = [];
      let result = await callRaw(name, args);
      for (let i = 0; i < rounds; i++) {
        const token = confirmationToken(result.text);
        if (!token) break;
        questions.push(/Needs confirmation: (.*)/.exec(result.text)![1]!);
        result = await callRaw(name, { ...args, confirm: token });
      }
      return { ...result, questions };
    },
    kubectl: (args, opts = {}) => kubectl(info, args, opts),
    async close() {
      await client.close().catch(() => undefined);
      await server.close();
    },
  };
}

/** The confirmation token a "Needs confirmation" refusal carries, if it is one. */
export function confirmationToken(text: string): string | undefined {
  return /^Error: Needs confirmation:[\s\S]*"confirm": "(kzc_[\w-]+)"/.exec(text)?.[1];
}

/** kubectl against the test kubeconfig (admin context unless `context`); throws on failure unless `allowFail`. */
export async function kubectl(info: ClusterInfo, args: string[], opts: { context?: string; input?: string; allowFail?: boolean } = {}): Promise<string> {
  const r = await runKubectl(info, args, { context: opts.context, input: opts.input });
  if (r.code !== 0 && !opts.allowFail) throw new Error(`kubectl ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
  return r.code === 0 ? r.stdout : r.stdout + r.stderr;
}

/** A DNS-1123 name unique to this run, e.g. `kz-t-lr-3f9a1c`. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(3).toString('hex')}`;
}

/** Creates namespaces (admin context). */
export async function createNamespaces(info: ClusterInfo, ...names: string[]): Promise<void> {
  for (const name of names) await kubectl(info, ['create', 'namespace', name]);
}

/** Deletes namespaces without waiting for their finalizers; never throws. */
export async function deleteNamespaces(info: ClusterInfo, ...names: string[]): Promise<void> {
  if (!names.length) return;
  await kubectl(info, ['delete', 'namespace', ...names, '--wait=false', '--ignore-not-found'], { allowFail: true });
}

/** Applies a YAML manifest through kubectl (admin context). */
export async function apply(info: ClusterInfo, yaml: string): Promise<string> {
  return kubectl(info, ['apply', '-f', '-'], { input: yaml });
}

/** Rows of `kubectl get ... --no-headers` split on whitespace. */
export function rows(output: string): string[][] {
  return output
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => l.trim().split(/\s{2,}|\s+/));
}

/** Lines of a tool's table output, without the header and any trailing notes (lines after a blank line). */
export function tableLines(text: string): string[] {
  const lines = text.split('\n');
  const end = lines.findIndex((l) => l.trim() === '');
  return (end === -1 ? lines : lines.slice(0, end)).slice(1);
}

/** Polls until `check` returns truthy or `timeoutMs` passes; returns the last value. */
export async function eventually<T>(check: () => Promise<T>, timeoutMs = 30_000, intervalMs = 500): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T = await check();
  while (!last && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, intervalMs));
    last = await check();
  }
  return last;
}
