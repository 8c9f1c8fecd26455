// `kubezilla-mcp stdio`, as a client that starts the server itself uses it: the built program as a
// child process, the SDK's stdio client on its pipes, the real local cluster behind it.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testCluster } from '../cluster/context.js';
import { kubectl, textOf } from '../tools/helpers.js';

const CLI = fileURLToPath(new URL('../../dist/kubezilla-mcp.js', import.meta.url));
const info = testCluster();
const scratch = mkdtempSync(join(tmpdir(), 'kz-stdio-'));
const configDir = join(scratch, 'config');

function start(): { client: Client; transport: StdioClientTransport; stderr: () => string } {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first`);
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [CLI, 'stdio', '--config-dir', configDir, '--kubeconfig', info.kubeconfig, '--log-level', 'debug'],
    // A private HOME and no KUBECONFIG: only the test cluster's kubeconfig is seen.
    env: { PATH: process.env.PATH ?? '', HOME: scratch },
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  return { client: new Client({ name: 'stdio-test', version: '1' }), transport, stderr: () => stderr };
}

let session: ReturnType<typeof start>;

beforeAll(async () => {
  session = start();
  await session.client.connect(session.transport);
});

afterAll(async () => {
  await session?.client.close().catch(() => undefined);
  rmSync(scratch, { recursive: true, force: true });
});

describe('kubezilla-mcp stdio', () => {
  it('serves the same tools, and answers from the cluster what kubectl shows', async () => {
    const { tools } = await session.client.listTools();
    expect(tools.map((t) => t.name)).toEqual(expect.arrayContaining(['list_namespaces', 'apply_yaml', 'helm_install']));
    expect(tools.find((t) => t.name === 'list_namespaces')?.annotations).toMatchObject({ readOnlyHint: true });

    const result = await session.client.callTool({ name: 'list_namespaces', arguments: {} });
    expect(result.isError).toBeFalsy();
    const names = (await kubectl(info, ['get', 'namespaces', '-o', 'jsonpath={.items[*].metadata.name}'])).trim().split(/\s+/);
    for (const name of names) expect(textOf(result)).toContain(name);
  });

  it('keeps the policy and the audit: a dry run is recorded, a write needs confirmation', async () => {
    const yaml = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: kz-stdio-probe\n  namespace: kube-system\ndata:\n  a: b\n';
    const preview = await session.client.callTool({ name: 'apply_yaml', arguments: { manifest: yaml, dryRun: true } });
    expect(preview.isError, textOf(preview)).toBeFalsy();
    // kube-system is protected: without elicitation the refusal carries a confirmation token.
    const write = await session.client.callTool({ name: 'apply_yaml', arguments: { manifest: yaml } });
    expect(write.isError).toBe(true);
    expect(textOf(write)).toMatch(/Needs confirmation:[\s\S]*kube-system[\s\S]*"confirm": "kzc_/);
    expect(await kubectl(info, ['-n', 'kube-system', 'get', 'configmap', 'kz-stdio-probe'], { allowFail: true })).toMatch(/NotFound/);
    const audit = readFileSync(join(configDir, 'audit.log'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(audit.map((e) => [e.tool, e.outcome])).toEqual([
      ['apply_yaml', 'dry-run'],
      ['apply_yaml', 'refused'],
    ]);
  });

  it('writes only the protocol to stdout, logs JSON lines to stderr, and needs no token', () => {
    const lines = session.stderr().trim().split('\n');
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(() => JSON.parse(line), line).not.toThrow();
    expect(session.stderr()).toContain('stdio session started');
    expect(existsSync(join(configDir, 'mcp.token'))).toBe(false);
  });

  it('ends when the client closes its side, and exits cleanly', async () => {
    const own = start();
    await own.client.connect(own.transport);
    const pid = own.transport.pid!;
    expect(pid).toBeGreaterThan(0);
    const exited = new Promise<void>((resolve) => {
      own.transport.onclose = () => resolve();
    });
    await own.client.close();
    await exited;
    expect(() => process.kill(pid, 0)).toThrow(); // the process is gone
    expect(own.stderr()).toContain('the client closed stdin');
  });
});
