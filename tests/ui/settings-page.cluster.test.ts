/// <reference lib="dom" />
/**
 * The settings page running the whole product, in real Chromium against the local test cluster:
 * a person adds a kubeconfig file and sees its contexts (and Tests one), pastes an inline
 * kubeconfig and an MCP client calls a tool on its context, sets up the cluster's SSH bastion
 * (a changed host key shown as a danger and refused, then a fresh known_hosts: the fingerprint
 * trusted, and a key the bastion does not know refused at login) and a tool call goes through it, marks the current context read-only and a mutation
 * through MCP is refused at once, turns a safety class off and on and a connected client's
 * tools/list follows, and filters and exports the audit log. axe-core checks every state (no
 * serious or critical violation); screenshots of each go to test-artifacts/ui/ (ignored by git).
 *
 *   KUBEZILLA_CLUSTER_STATE=… npx vitest run tests/ui/settings-page.cluster.test.ts
 */
import { AxeBuilder } from '@axe-core/playwright';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ElicitRequestSchema, ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { type ClusterInfo, kubectl, testCluster } from '../cluster/context.js';
import { connectClient, textOf } from '../helpers/server.js';
import { eventually } from '../tools/helpers.js';
import { connectOutcome, freePort, launchChromium, shot, startUiServer, type UiServer } from './helpers.js';

const info: ClusterInfo = testCluster();
const local = !info.external && info.ssh !== null;
let browser: Browser;
let page: Page;
let ui: UiServer;
let client: Client;
let listChanged = 0;
let mcpUrl = '';
const work = mkdtempSync(join(tmpdir(), 'kz-ui-cluster-'));
const kubeconfigFile = join(work, 'team.yaml');
let adminKeyData = '';

/** Zero serious or critical axe-core violations in the page as it is now. */
async function expectAccessible(state: string): Promise<void> {
  const results = await new AxeBuilder({ page }).analyze();
  expect(results.passes.length, `${state}: axe ran its rules`).toBeGreaterThan(20);
  const bad = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(
    bad.map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`),
    state,
  ).toEqual([]);
}

const row = (context: string) => page.locator(`tr[data-context="${context}"]`);
const call = async (name: string, args: Record<string, unknown>) => {
  const result = await client.callTool({ name, arguments: args });
  return { error: result.isError === true, text: textOf(result) };
};

/** The test cluster's admin context as a kubeconfig of its own, plus `page-ssh`: the same API server, no tunnel yet. */
function writeTeamKubeconfig(): void {
  const kc = parse(readFileSync(info.kubeconfig, 'utf8'));
  const cluster = kc.clusters.find((c: { name: string }) => c.name === 'kz-local').cluster;
  const user = kc.users.find((u: { name: string }) => u.name === 'kz-admin').user;
  adminKeyData = user['client-key-data'];
  writeFileSync(
    kubeconfigFile,
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      'current-context': 'page-admin',
      clusters: [
        { name: 'page-local', cluster },
        { name: 'page-via-ssh', cluster: { ...cluster, 'tls-server-name': info.apiServer!.tlsServerName } },
      ],
      users: [{ name: 'page-admin', user }],
      contexts: [
        { name: 'page-admin', context: { cluster: 'page-local', user: 'page-admin', namespace: 'default' } },
        { name: 'page-ssh', context: { cluster: 'page-via-ssh', user: 'page-admin', namespace: 'default' } },
      ],
    }),
    { mode: 0o600 },
  );
}

function pastedKubeconfig(): string {
  const kc = parse(readFileSync(kubeconfigFile, 'utf8'));
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'pasted', cluster: kc.clusters[0].cluster }],
    users: [{ name: 'pasted', user: kc.users[0].user }],
    contexts: [{ name: 'pasted-admin', context: { cluster: 'pasted', user: 'pasted', namespace: 'kube-public' } }],
  });
}

beforeAll(async () => {
  if (!local) return;
  writeTeamKubeconfig();
  browser = await launchChromium();
  const mcpPort = await freePort();
  ui = await startUiServer(mcpPort, { kubeconfig: join(work, 'none') });
  await ui.server.enableMcp();
  mcpUrl = `http://127.0.0.1:${mcpPort}/mcp`;
  ({ client } = await connectClient(mcpUrl, ui.server.tokens.ensure()));
  client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
    listChanged++;
  });
  const context = await browser.newContext({ viewport: { width: 1100, height: 900 }, acceptDownloads: true });
  page = await context.newPage();
  await page.goto(ui.pageUrl);
  await page.locator('#contexts-body td.empty').waitFor();
}, 120_000);

afterAll(async () => {
  await client?.close();
  await browser?.close();
  await ui?.close();
});

describe.skipIf(!local)('the settings page runs the product (real cluster, real Chromium)', () => {
  it('adds a kubeconfig file: Check shows its contexts, Add saves it, Test reaches the API server', async () => {
    await expectAccessible('empty');
    await page.getByLabel('Add a kubeconfig file').fill(kubeconfigFile);
    await page.getByRole('button', { name: 'Check' }).click();
    const preview = page.locator('#file-preview');
    await preview.filter({ hasText: 'Ready to add' }).waitFor();
    expect(await preview.textContent()).toContain(`page-admin → ${info.apiServer!.url}`);
    expect(await preview.textContent()).toContain('page-ssh');
    await page.screenshot({ path: shot('c01-file-checked'), fullPage: true });
    expect(ui.server.settings.get().kubeconfig.files).toEqual([]);

    await page.getByRole('button', { name: 'Add file' }).click();
    await row('page-admin').waitFor();
    expect(ui.server.settings.get().kubeconfig.files).toEqual([kubeconfigFile]);
    expect(await row('page-admin').textContent()).toContain('current');
    expect(await row('page-admin').textContent()).toContain(kubeconfigFile);
    expect(await page.locator('#files-list').textContent()).toContain(kubeconfigFile);

    await page.getByRole('button', { name: 'Test page-admin', exact: true }).click();
    const reach = row('page-admin').locator('.probe');
    await reach.filter({ hasText: /reachable: v1\.\d+/ }).waitFor({ timeout: 20_000 });
    expect(await reach.textContent()).toMatch(/^reachable: v1\.\d+\.\d+.* in [\d.]+ ms$/);
    expect(await page.content()).not.toContain(adminKeyData);
    await page.screenshot({ path: shot('c02-file-added-tested'), fullPage: true });
    await page.locator('#clusters').screenshot({ path: shot('c02-file-added-tested-card') });
    await expectAccessible('file added');
  });

  it('pastes an inline kubeconfig; only its contexts and servers come back, and a tool works on it through MCP', async () => {
    await page.getByLabel('Name', { exact: true }).fill('pasted');
    await page.getByLabel('Kubeconfig YAML').fill(pastedKubeconfig());
    await page.getByRole('button', { name: 'Save inline kubeconfig' }).click();
    await page.locator('#inline-note').filter({ hasText: 'Saved pasted: pasted-admin.' }).waitFor();
    await row('pasted-admin').waitFor();
    expect(await page.getByLabel('Kubeconfig YAML').inputValue()).toBe('');
    expect(await page.locator('#inline-list').textContent()).toContain(`pasted-admin → ${info.apiServer!.url}`);
    // The credentials are in the 0600 settings.json, never in the page.
    expect(await page.content()).not.toContain(adminKeyData);
    await page.reload();
    await row('pasted-admin').waitFor();
    await page.locator('#inline-list li[data-source="pasted"]').waitFor();
    expect(await page.content()).not.toContain(adminKeyData);

    const namespaces = await call('list_namespaces', { context: 'pasted-admin' });
    expect(namespaces.error, namespaces.text).toBe(false);
    expect(namespaces.text).toContain('kube-system');
    await page.screenshot({ path: shot('c03-inline-pasted'), fullPage: true });
    await expectAccessible('inline pasted');
  });

  it('sets up the SSH bastion: a changed key is a danger and refused; a fresh known_hosts trusts the fingerprint shown; a tool call goes through', async () => {
    const ssh = info.ssh!;
    const fingerprint = execFileSync('ssh-keygen', ['-lf', join(info.stateDir, 'ssh', 'ssh_host_ed25519_key.pub'), '-E', 'sha256'])
      .toString()
      .split(/\s+/)[1]!;
    const impostor = join(work, 'impostor_known_hosts');
    const impostorLine = `[127.0.0.1]:${ssh.port} ${readFileSync(`${ssh.identityFile}.pub`, 'utf8').split(' ').slice(0, 2).join(' ')}\n`;
    writeFileSync(impostor, impostorLine);
    const knownHosts = join(work, 'ssh', 'known_hosts');

    await page.locator('#bastions').getByLabel('Context', { exact: true }).selectOption('page-ssh');
    await page.getByLabel('Bastion host').fill(ssh.host);
    await page.getByLabel('SSH port').fill(String(ssh.port));
    await page.getByLabel('User', { exact: true }).fill(ssh.user);
    await page.getByLabel('Key file').fill(ssh.identityFile);
    await page.getByLabel('known_hosts file').fill(impostor);
    await page.getByRole('button', { name: 'Test connection' }).click();
    const danger = page.locator('#bastion-danger');
    await danger.waitFor();
    expect(await danger.textContent()).toContain('Danger: the host key CHANGED');
    expect(await danger.textContent()).toContain('no login was tried');
    expect(await page.locator('#bastion-trust').isHidden()).toBe(true);
    await page.screenshot({ path: shot('c04-bastion-key-changed'), fullPage: true });
    await page.locator('#bastions').screenshot({ path: shot('c04-bastion-key-changed-card') });
    await expectAccessible('changed host key');

    // Saved with that known_hosts anyway: the tunnel refuses the bastion, and the call says why.
    await page.getByRole('button', { name: 'Save bastion' }).click();
    await page.locator('#bastion-note').filter({ hasText: 'Saved: context page-ssh' }).waitFor();
    const refused = await call('list_namespaces', { context: 'page-ssh' });
    expect(refused.error).toBe(true);
    expect(refused.text).toContain('HOST KEY CHANGED');
    expect(readFileSync(impostor, 'utf8')).toBe(impostorLine);
    await row('page-ssh').locator('.badge.failed').waitFor({ timeout: 10_000 });

    // A fresh known_hosts: the fingerprint is shown, trusted on the person's click, written there.
    await page.getByLabel('known_hosts file').fill(knownHosts);
    await page.getByRole('button', { name: 'Test connection' }).click();
    await page.locator('#bastion-trust').waitFor();
    expect(await page.locator('#bastion-fingerprint').textContent()).toBe(fingerprint);
    expect(await page.locator('#bastion-result').textContent()).toContain('Login not tried until the host key is trusted.');
    await page.screenshot({ path: shot('c05-bastion-fingerprint'), fullPage: true });
    await page.locator('#bastions').screenshot({ path: shot('c05-bastion-fingerprint-card') });
    await expectAccessible('unknown host key');
    await page.getByRole('button', { name: `Trust ${fingerprint}` }).click();
    await page
      .locator('#bastion-note')
      .filter({ hasText: `Trusted: added to ${knownHosts}.` })
      .waitFor();
    expect(await page.locator('#bastion-result').textContent()).toContain('Login works.');
    expect(readFileSync(knownHosts, 'utf8')).toMatch(new RegExp(`^\\[127\\.0\\.0\\.1\\]:${ssh.port} ssh-ed25519 \\S+\\n$`));
    // A key the bastion does not know is refused at login, now that the host is trusted.
    const stranger = join(work, 'stranger_ed25519');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', stranger]);
    await page.getByLabel('Key file').fill(stranger);
    await page.getByRole('button', { name: 'Test connection' }).click();
    await page.locator('#bastion-result').filter({ hasText: 'Login refused' }).waitFor();
    expect(await page.locator('#bastion-result').textContent()).toContain(`refused the login for user "${ssh.user}"`);
    await page.getByLabel('Key file').fill(ssh.identityFile);
    await page.getByRole('button', { name: 'Save bastion' }).click();
    await page.locator('#bastion-note').filter({ hasText: 'Saved: context page-ssh' }).waitFor();
    expect(ui.server.settings.get().tunnels['page-ssh']).toMatchObject({ host: ssh.host, port: ssh.port, knownHostsFile: knownHosts });

    const through = await call('list_namespaces', { context: 'page-ssh' });
    expect(through.error, through.text).toBe(false);
    expect(through.text).toContain('kube-system');
    // The live state: connected through that bastion.
    await row('page-ssh').locator('.badge.connected').waitFor({ timeout: 10_000 });
    expect(await row('page-ssh').textContent()).toContain(`via ${ssh.user}@${ssh.host}:${ssh.port}`);
    await page.screenshot({ path: shot('c06-bastion-connected'), fullPage: true });
    await page.locator('#clusters').screenshot({ path: shot('c06-bastion-connected-card') });
    await expectAccessible('bastion connected');
  });

  it('marks the current context read-only: a mutation through MCP is refused at once, and allowed again after', async () => {
    const manifest = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: kz-ui-readonly-probe\n  namespace: default\ndata:\n  a: "1"\n';
    await kubectl(info, ['delete', 'configmap', 'kz-ui-readonly-probe', '-n', 'default', '--ignore-not-found']);
    const box = page.locator('#readonly-list').getByLabel('page-admin', { exact: true });
    await box.check();
    await page.locator('#policy-note').filter({ hasText: 'page-admin is read-only' }).waitFor();
    expect(ui.server.settings.get().policy.readOnlyContexts).toEqual(['page-admin']);
    const refused = await call('apply_yaml', { manifest });
    expect(refused.error).toBe(true);
    expect(refused.text).toContain('context page-admin is read-only on this server');
    expect((await kubectl(info, ['get', 'configmap', 'kz-ui-readonly-probe', '-n', 'default'])).code).not.toBe(0);
    await row('page-admin').locator('.badge.read-only').waitFor({ timeout: 10_000 });
    await page.screenshot({ path: shot('c07-read-only'), fullPage: true });
    await page.locator('#policy').screenshot({ path: shot('c07-read-only-card') });
    await expectAccessible('read-only');

    await box.uncheck();
    await page.locator('#policy-note').filter({ hasText: 'page-admin is writable again' }).waitFor();
    const applied = await call('apply_yaml', { manifest });
    expect(applied.error, applied.text).toBe(false);
    expect((await kubectl(info, ['get', 'configmap', 'kz-ui-readonly-probe', '-n', 'default'])).code).toBe(0);
    await kubectl(info, ['delete', 'configmap', 'kz-ui-readonly-probe', '-n', 'default']);
  });

  it('turns a safety class off and on: the connected client is told, and its tools/list follows', async () => {
    const listed = async () => (await client.listTools()).tools.map((t) => t.name);
    expect(await listed()).toContain('scale');
    const before = listChanged;
    await page.getByLabel(/^safe-mutation/).uncheck();
    await page.locator('#policy-note').filter({ hasText: 'Turned off: safe-mutation tools.' }).waitFor();
    expect(await eventually(async () => listChanged === before + 1, 5_000, 50)).toBe(true);
    expect(await listed()).not.toContain('scale');
    expect(await listed()).toContain('list_namespaces');
    // The page lists this client among the connected ones, by the name it gave.
    await page.locator('#sessions-body').filter({ hasText: 'kubezilla-test' }).waitFor({ timeout: 10_000 });
    await page.screenshot({ path: shot('c08-class-off'), fullPage: true });

    await page.getByLabel(/^safe-mutation/).check();
    await page.locator('#policy-note').filter({ hasText: 'Turned on: safe-mutation tools.' }).waitFor();
    expect(await eventually(async () => listChanged === before + 2, 5_000, 50)).toBe(true);
    expect(await listed()).toContain('scale');
    await expectAccessible('policy');
  });

  it('Stop ends a port forward an MCP client opened: its local port closes', async () => {
    const ns = 'kz-ui-forward';
    await kubectl(info, ['create', 'namespace', ns], {}).catch(() => undefined);
    // Port 9000 is the pod port nothing answers on; no connection is made through the forward here.
    const pod = `apiVersion: v1\nkind: Pod\nmetadata: {name: solo, namespace: ${ns}}\nspec:\n  containers: [{name: c, image: busybox, ports: [{name: refused, containerPort: 9000}]}]\n`;
    expect((await kubectl(info, ['apply', '-f', '-'], { input: pod })).code).toBe(0);
    expect((await kubectl(info, ['wait', '-n', ns, '--for=jsonpath={.status.phase}=Running', 'pod/solo', '--timeout=60s'], { timeoutMs: 70_000 })).code).toBe(
      0,
    );

    await page.getByLabel('Enable destructive tools').check();
    await page.locator('#destructive-note').filter({ hasText: 'Saved: every destructive tool' }).waitFor();
    const { client: asking } = await connectClient(mcpUrl, ui.server.tokens.ensure(), { elicitation: { form: {} } });
    asking.setRequestHandler(ElicitRequestSchema, async () => ({ action: 'accept', content: { confirm: true } }));
    try {
      const started = await asking.callTool({ name: 'port_forward_start', arguments: { target: 'pod/solo', ports: [':9000'], namespace: ns } });
      const text = textOf(started);
      expect(started.isError, text).toBeFalsy();
      const id = /\b(pf-[A-Za-z0-9]+)\b/.exec(text)?.[1];
      const local = /127\.0\.0\.1:(\d+)/.exec(text)?.[1];
      expect(id, text).toBeTruthy();
      await page.getByRole('button', { name: 'Refresh' }).nth(1).click();
      const stop = page.getByRole('button', { name: `Stop ${id} (pod/solo)` });
      await stop.waitFor();
      await page.screenshot({ path: shot('c10-forward-open'), fullPage: true });
      await page.locator('#forwards').screenshot({ path: shot('c10-forward-open-card') });
      await expectAccessible('port forward open');
      await stop.focus();
      await page.keyboard.press('Enter');
      await page
        .locator('#forwards-note')
        .filter({ hasText: `Stopped ${id}` })
        .waitFor();
      await page.locator('#forwards-body').filter({ hasText: 'No port forwards are open.' }).waitFor();
      expect(await connectOutcome(`http://127.0.0.1:${local}/`)).toBe('ECONNREFUSED');
      expect(textOf(await client.callTool({ name: 'port_forward_list', arguments: {} }))).toMatch(/^No port forwards are open/);
    } finally {
      await asking.close();
      await page.getByLabel('Enable destructive tools').uncheck();
      await kubectl(info, ['delete', 'namespace', ns, '--wait=false']);
    }
  });

  it('filters the audit log and exports it as JSON lines', async () => {
    await page.getByRole('button', { name: 'Refresh' }).last().click();
    await page.getByLabel('Outcome').selectOption('refused');
    const rows = page.locator('#audit-body tr');
    await page
      .locator('#audit-count')
      .filter({ hasText: /\d+ of the \d+ newest entries match/ })
      .waitFor();
    const texts = await rows.allTextContents();
    expect(texts.length).toBeGreaterThanOrEqual(1);
    for (const t of texts) expect(t).toContain('refused');
    expect(texts.join('\n')).toContain('apply_yaml');

    await page.getByLabel('Outcome').selectOption('');
    await page.getByLabel('Text', { exact: true }).fill('kz-ui-readonly-probe');
    await page
      .locator('#audit-count')
      .filter({ hasText: /^2 of the/ })
      .waitFor();
    await page.screenshot({ path: shot('c09-audit-filtered'), fullPage: true });
    await page.locator('#audit').screenshot({ path: shot('c09-audit-filtered-card') });
    await expectAccessible('audit filtered');

    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export JSON lines' }).click()]);
    expect(download.suggestedFilename()).toMatch(/^kubezilla-audit-\d{4}-\d\d-\d\d\.jsonl$/);
    const file = join(work, download.suggestedFilename());
    await download.saveAs(file);
    const entries = readFileSync(file, 'utf8')
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(entries.map((e) => `${e.tool} ${e.outcome}`)).toEqual(['apply_yaml refused', 'apply_yaml ok']);
    expect(entries.every((e) => e.context === 'page-admin' && e.namespace === 'default')).toBe(true);
  });
});
