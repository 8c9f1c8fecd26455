/// <reference lib="dom" />
/**
 * The settings page in real Chromium (Debian's, driven headless by playwright-core): a person
 * enabling and disabling MCP, moving it to another port, regenerating the token and copying the
 * `claude mcp add` command; and hostile pages on other origins trying to do the same.
 * Screenshots of every state go to test-artifacts/ui/.
 *
 *   bash tests/ui/install-deps.sh && npx vitest run -c tests/ui/vitest.config.ts
 */
import { AxeBuilder } from '@axe-core/playwright';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtInToolNames } from '../helpers/registry.js';
import { connectOutcome, freePort, initialize, launchChromium, sessionRequest, shot, startHostileSite, startUiServer, type UiServer } from './helpers.js';

/** Every destructive tool, as the page lists them (by name). */
const DESTRUCTIVE = builtInToolNames((safety) => safety === 'destructive');
const ALL_BUT_DELETE = DESTRUCTIVE.filter((n) => n !== 'delete_resource');

let browser: Browser;
let context: BrowserContext;
let page: Page;
let ui: UiServer;
let firstPort: number;

const statusText = () => page.locator('#mcp-status-text');
const enable = () => page.getByLabel('Enable MCP server');
const bindInput = () => page.getByLabel('Bind address');
const portInput = () => page.getByLabel('Port', { exact: true });

async function waitStatus(pattern: RegExp): Promise<string> {
  await page.waitForFunction((source) => new RegExp(source).test(document.getElementById('mcp-status-text')?.textContent ?? ''), pattern.source, {
    timeout: 10_000,
  });
  return (await statusText().textContent()) ?? '';
}

/**
 * Runs in the page: every visible element with its own text, whose colour against the first opaque
 * background behind it is below WCAG AA (4.5:1, or 3:1 for large text). Disabled controls are
 * exempt, as WCAG says.
 */
function lowContrastText(): string[] {
  const parse = (c: string): number[] => (c.match(/[\d.]+/g) ?? []).map(Number);
  const lum = ([r, g, b]: number[]) => {
    const f = (v: number) => ((v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
    return 0.2126 * f(r!) + 0.7152 * f(g!) + 0.0722 * f(b!);
  };
  const background = (el: Element | null): number[] => {
    for (let node = el; node; node = node.parentElement) {
      const bg = parse(getComputedStyle(node).backgroundColor);
      if (bg.length >= 3 && (bg[3] ?? 1) >= 0.99) return bg;
    }
    return [255, 255, 255];
  };
  const failures: string[] = [];
  for (const el of Array.from(document.querySelectorAll('body *'))) {
    const own = Array.from(el.childNodes).some((n) => n.nodeType === Node.TEXT_NODE && n.textContent!.trim());
    if (!own || (el as HTMLElement).closest('[hidden], dialog:not([open]), .visually-hidden')) continue;
    if ((el as HTMLInputElement).disabled || el.closest(':disabled')) continue;
    const style = getComputedStyle(el);
    if (style.visibility === 'hidden' || style.display === 'none') continue;
    const fg = parse(style.color);
    const bg = background(el);
    const alpha = fg[3] ?? 1;
    const mixed = [0, 1, 2].map((i) => fg[i]! * alpha + bg[i]! * (1 - alpha));
    const [hi, lo] = [lum(mixed), lum(bg)].sort((a, b) => b - a);
    const ratio = (hi! + 0.05) / (lo! + 0.05);
    const size = parseFloat(style.fontSize);
    const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
    if (ratio < (large ? 3 : 4.5)) failures.push(`${el.tagName.toLowerCase()}.${el.className} "${el.textContent!.trim().slice(0, 30)}" ${ratio.toFixed(2)}`);
  }
  return failures;
}

function savedSettings(): { mcp: { enabled: boolean; port: number; bind: string } } {
  return JSON.parse(readFileSync(join(ui.configDir, 'settings.json'), 'utf8'));
}

beforeAll(async () => {
  browser = await launchChromium();
  firstPort = await freePort();
  ui = await startUiServer(firstPort);
  ui.server.audit.record({
    session: 'a1b2c3',
    tool: 'scale',
    context: 'dev',
    namespace: 'web',
    target: 'deploy/frontend',
    outcome: 'ok',
    summary: 'replicas 2 → 4',
  });
  ui.server.audit.record({
    session: 'a1b2c3',
    tool: 'apply_yaml',
    context: 'staging',
    namespace: 'default',
    target: '2 documents',
    outcome: 'refused',
    summary: 'Server-side dry run failed for ConfigMap/settings: metadata.name: Invalid value',
  });
  context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(ui.pageUrl).origin });
  page = await context.newPage();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await ui?.close();
});

describe('the settings page in Chromium', () => {
  it('shows MCP stopped with editable address, the contexts, broken kubeconfigs, recent mutations and no port forwards', async () => {
    await page.goto(ui.pageUrl);
    expect(await waitStatus(/^stopped$/)).toBe('stopped');
    expect(await enable().isChecked()).toBe(false);
    expect(await bindInput().isDisabled()).toBe(false);
    expect(await portInput().isDisabled()).toBe(false);
    expect(await bindInput().inputValue()).toBe('127.0.0.1');
    expect(await portInput().inputValue()).toBe(String(firstPort));

    // Clusters: both contexts with their source; the tunnelled one shows its tunnel; the broken file its error.
    const dev = page.locator('tr[data-context="dev"]');
    const staging = page.locator('tr[data-context="staging"]');
    await dev.waitFor();
    expect(await dev.textContent()).toContain('current');
    expect(await dev.textContent()).toMatch(/kz-ui-kube-[^/]+\/config/);
    expect(await staging.textContent()).toContain('via ops@bastion.example.internal');
    expect(await staging.textContent()).toMatch(/idle/);
    expect(await dev.textContent()).toContain('direct');
    await page.locator('#broken-sources').waitFor();
    expect(await page.locator('#broken-list').textContent()).toContain('broken.yaml');

    // Recent mutations, newest first.
    const rows = page.locator('#audit-body tr');
    await page.waitForFunction(() => document.querySelectorAll('#audit-body tr').length === 2);
    expect(await rows.nth(0).textContent()).toContain('apply_yaml');
    expect(await rows.nth(0).textContent()).toContain('refused');
    expect(await rows.nth(1).textContent()).toContain('deploy/frontend');

    // Port forwards: none opened by any client yet (tests/tools/port_forward.test.ts opens real ones).
    await page.waitForFunction(() => document.getElementById('forwards-body')?.textContent === 'No port forwards are open.');

    await page.screenshot({ path: shot('01-stopped'), fullPage: true });
  });

  it('enables from the keyboard: running, initialize answers 200, inputs locked, sessions counted', async () => {
    await enable().focus();
    // A visible focus indicator on the switch.
    const outline = await enable().evaluate((el) => getComputedStyle(el).outlineStyle);
    expect(outline).not.toBe('none');
    await page.keyboard.press('Space');

    const status = await waitStatus(/^running on /);
    const url = `http://127.0.0.1:${firstPort}/mcp`;
    expect(status).toBe(`running on ${url}`);
    expect(await page.locator('#mcp-url').textContent()).toBe(url);
    expect(await enable().isChecked()).toBe(true);
    expect(await bindInput().isDisabled()).toBe(true);
    expect(await portInput().isDisabled()).toBe(true);
    expect(savedSettings().mcp.enabled).toBe(true);

    const token = ui.server.tokens.ensure();
    const answer = await initialize(url, token);
    expect(answer.status).toBe(200);
    expect(answer.session).toBeTruthy();
    await page.waitForFunction(() => document.getElementById('mcp-sessions')?.textContent === '1', undefined, { timeout: 10_000 });
    expect(await page.locator('#token-fingerprint').textContent()).toBe(ui.server.tokens.fingerprint());

    await page.screenshot({ path: shot('02-running'), fullPage: true });
  });

  it('disables: stopped, the port refuses connections, inputs editable again', async () => {
    await enable().click();
    await waitStatus(/^stopped$/);
    expect(await enable().isChecked()).toBe(false);
    expect(await bindInput().isDisabled()).toBe(false);
    expect(await portInput().isDisabled()).toBe(false);
    expect(await connectOutcome(`http://127.0.0.1:${firstPort}/mcp`)).toBe('ECONNREFUSED');
    expect(savedSettings().mcp.enabled).toBe(false);
    await page.screenshot({ path: shot('03-disabled'), fullPage: true });
  });

  it('moves to a new port while stopped, then listens there (and not on the old one)', async () => {
    const secondPort = await freePort();
    await portInput().fill(String(secondPort));
    await portInput().press('Tab'); // change event: saved at once
    await page.waitForFunction(() => /Saved/.test(document.getElementById('action-note')?.textContent ?? ''));
    expect(savedSettings().mcp.port).toBe(secondPort);

    await enable().check();
    const url = `http://127.0.0.1:${secondPort}/mcp`;
    expect(await waitStatus(/^running on /)).toBe(`running on ${url}`);
    expect((await initialize(url, ui.server.tokens.ensure())).status).toBe(200);
    expect(await connectOutcome(`http://127.0.0.1:${firstPort}/mcp`)).toBe('ECONNREFUSED');
    expect(await portInput().inputValue()).toBe(String(secondPort));
    expect(await portInput().isDisabled()).toBe(true);
    await page.screenshot({ path: shot('04-running-new-port'), fullPage: true });
  });

  it('shows the error when the port is taken, leaves the box unticked and the inputs editable', async () => {
    const runningPort = ui.server.listener.status().state === 'running' ? (ui.server.listener.status() as { port: number }).port : 0;
    await enable().uncheck();
    await waitStatus(/^stopped$/);

    const blocker: Server = createServer();
    const busyPort = await freePort();
    await new Promise<void>((resolve) => blocker.listen(busyPort, '127.0.0.1', resolve));
    try {
      await portInput().fill(String(busyPort));
      await enable().click();
      const status = await waitStatus(/in use/);
      expect(status).toContain(`port ${busyPort} on 127.0.0.1 is already in use`);
      expect(await page.locator('#mcp-status').getAttribute('data-state')).toBe('error');
      expect(await enable().isChecked()).toBe(false);
      expect(await portInput().isDisabled()).toBe(false);
      expect(savedSettings().mcp.enabled).toBe(false);
      await page.screenshot({ path: shot('05-port-in-use'), fullPage: true });
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }

    // Back to a working port for what follows.
    await portInput().fill(String(runningPort));
    await enable().click();
    await waitStatus(/^running on /);
  });

  it('regenerates only after confirmation: old token 401 (its session too), new one 200, fingerprint changed', async () => {
    const status = ui.server.listener.status();
    if (status.state !== 'running') throw new Error('MCP should be running here');
    const oldToken = ui.server.tokens.ensure();
    const oldFingerprint = await page.locator('#token-fingerprint').textContent();
    const session = (await initialize(status.url, oldToken)).session!;
    expect(await sessionRequest(status.url, oldToken, session)).toBe(200);

    // Asked first; Cancel changes nothing.
    await page.getByRole('button', { name: 'Regenerate token…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Regenerate the token?' });
    await dialog.waitFor();
    await page.screenshot({ path: shot('06-regenerate-confirm'), fullPage: false });
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    expect(ui.server.tokens.ensure()).toBe(oldToken);
    // The dialog's close event fires in a task after it hides, so wait for the note it writes.
    await page.locator('#action-note').filter({ hasText: 'the token is unchanged' }).waitFor();

    await page.getByRole('button', { name: 'Regenerate token…' }).click();
    await dialog.getByRole('button', { name: 'Regenerate' }).click();
    await page.waitForFunction((before) => {
      const now = document.getElementById('token-fingerprint')?.textContent;
      return now && now !== before && now.startsWith('sha256:');
    }, oldFingerprint);
    const newToken = ui.server.tokens.ensure();
    expect(newToken).not.toBe(oldToken);
    expect(await page.locator('#token-fingerprint').textContent()).toBe(ui.server.tokens.fingerprint());
    expect(await page.locator('#action-note').textContent()).toContain('New token');

    expect((await initialize(status.url, oldToken)).status).toBe(401);
    expect(await sessionRequest(status.url, oldToken, session)).toBe(401);
    expect((await initialize(status.url, newToken)).status).toBe(200);
    await page.screenshot({ path: shot('07-regenerated'), fullPage: true });
  });

  it('copies the ready claude mcp add command on click; the token is never in the page HTML', async () => {
    const status = ui.server.listener.status();
    if (status.state !== 'running') throw new Error('MCP should be running here');
    const token = ui.server.tokens.ensure();

    const html = await (await fetch(ui.pageUrl)).text();
    expect(html).not.toContain(token);
    expect(await page.content()).not.toContain(token);

    await page.getByRole('button', { name: /Copy claude mcp add command/ }).click();
    await page.waitForFunction(() => /Copied/.test(document.getElementById('action-note')?.textContent ?? ''));
    const copied = await page.evaluate(() => navigator.clipboard.readText());
    expect(copied).toBe(`claude mcp add --scope user kubezilla --transport http ${status.url} --header "Authorization: Bearer ${token}"`);
    // Copied to the clipboard, not written into the document.
    expect(await page.content()).not.toContain(token);
    await page.screenshot({ path: shot('08-copied'), fullPage: true });
  });

  it('turns the destructive tools on with their warning in view, narrows them per tool, and off again', async () => {
    await page.goto(ui.pageUrl);
    await waitStatus(/^running on /);
    const policy = () =>
      (JSON.parse(readFileSync(join(ui.configDir, 'settings.json'), 'utf8')) as { policy?: { enabledClasses?: string[]; destructiveTools?: string[] } })
        .policy ?? {};
    const destructive = page.getByLabel('Enable destructive tools');
    const tool = (name: string) => page.locator(`#destructive-tool-${name}`);
    expect(await destructive.isChecked()).toBe(false);
    const warning = page.locator('#destructive-warning');
    expect(await warning.isVisible()).toBe(true);
    expect(await warning.textContent()).toMatch(/delete any object .* uninstall Helm releases, and drain, cordon and taint nodes.*Each call asks you first/);
    // Off: the per-tool boxes are shown, ticked (all allowed once on) and disabled.
    await tool('delete_resource').waitFor();
    expect(await tool('delete_resource').isDisabled()).toBe(true);
    expect(await page.locator('#destructive-tool-list input').count()).toBe(DESTRUCTIVE.length);

    await destructive.check();
    await page.waitForFunction(() => /^Saved: every destructive tool can be called/.test(document.getElementById('destructive-note')?.textContent ?? ''));
    expect(policy()).toMatchObject({ enabledClasses: ['read', 'safe-mutation', 'destructive'], destructiveTools: [] });
    expect(await tool('delete_resource').isDisabled()).toBe(false);
    await page.screenshot({ path: shot('11-destructive-on'), fullPage: true });

    await tool('delete_resource').uncheck();
    await page.waitForFunction(
      (names) => (document.getElementById('destructive-note')?.textContent ?? '').startsWith(`Saved: ${names} can be called`),
      ALL_BUT_DELETE.join(', '),
    );
    expect(policy().destructiveTools).toEqual(ALL_BUT_DELETE);
    // What the page shows after a reload is what was saved.
    await page.reload();
    await tool('delete_resource').waitFor();
    expect(await destructive.isChecked()).toBe(true);
    expect(await tool('delete_resource').isChecked()).toBe(false);
    expect(await tool('drain_node').isChecked()).toBe(true);

    await destructive.uncheck();
    await page.waitForFunction(() => /^Saved: destructive tools are off/.test(document.getElementById('destructive-note')?.textContent ?? ''));
    expect(policy().enabledClasses).toEqual(['read', 'safe-mutation']);
    expect(await tool('drain_node').isDisabled()).toBe(true);
    // Put back as the other tests expect it: every tool allowed once the class is on.
    ui.server.settings.update((s) => {
      s.policy.destructiveTools = [];
    });
  });

  it('adds and removes a kubeconfig file and an inline one from the keyboard; a bad file and a bad budget are refused by name', async () => {
    await page.goto(ui.pageUrl);
    await page.locator('tr[data-context="dev"]').waitFor();
    const dir = mkdtempSync(join(tmpdir(), 'kz-ui-page-'));
    const file = join(dir, 'extra.yaml');
    writeFileSync(
      file,
      'apiVersion: v1\nkind: Config\nclusters:\n- name: extra\n  cluster: {server: https://192.0.2.10:6443}\nusers:\n- name: u\n  user: {token: extra-secret-token}\ncontexts:\n- name: extra-ctx\n  context: {cluster: extra, user: u}\n',
    );
    writeFileSync(join(dir, 'bad.yaml'), 'contexts: [\n');

    const path = page.getByLabel('Add a kubeconfig file');
    await path.fill(join(dir, 'bad.yaml'));
    await path.press('Enter'); // submits: Add
    await page.locator('#file-problem').filter({ hasText: 'was not added' }).waitFor();
    expect(await page.locator('#file-problem').textContent()).toMatch(/line \d+/);
    expect(await path.getAttribute('aria-invalid')).toBe('true');
    expect(await path.getAttribute('aria-describedby')).toContain('file-problem');
    await page.screenshot({ path: shot('12-file-refused'), fullPage: true });

    await path.fill(file);
    await path.press('Enter');
    await page.locator('tr[data-context="extra-ctx"]').waitFor();
    expect(await path.getAttribute('aria-invalid')).toBeNull();
    const remove = page.getByRole('button', { name: `Remove ${file}` });
    await remove.focus();
    await page.keyboard.press('Enter');
    await page.locator('tr[data-context="extra-ctx"]').waitFor({ state: 'detached' });
    expect(ui.server.settings.get().kubeconfig.files).toEqual([]);

    await page.getByLabel('Name', { exact: true }).fill('kb');
    await page.getByLabel('Kubeconfig YAML').fill(readFileSync(file, 'utf8').replace(/extra-ctx/g, 'kb-ctx'));
    await page.getByLabel('Kubeconfig YAML').press('Tab');
    await page.keyboard.press('Enter'); // the Save button, next in the tab order
    await page.locator('tr[data-context="kb-ctx"]').waitFor();
    expect(await page.content()).not.toContain('extra-secret-token');
    await page.getByRole('button', { name: 'Remove kb' }).press('Enter');
    await page.locator('tr[data-context="kb-ctx"]').waitFor({ state: 'detached' });

    const before = readFileSync(join(ui.configDir, 'settings.json'), 'utf8');
    const budget = page.getByLabel('Answer budget (bytes)');
    await budget.fill('10');
    await budget.press('Tab');
    await page.locator('#policy-problem').filter({ hasText: 'policy.maxOutputBytes' }).waitFor();
    expect(await budget.getAttribute('aria-invalid')).toBe('true');
    expect(await budget.inputValue()).toBe('10');
    expect(readFileSync(join(ui.configDir, 'settings.json'), 'utf8')).toBe(before);
    await page.screenshot({ path: shot('13-budget-refused'), fullPage: true });
    await budget.fill('65536');
    await budget.press('Tab');
    await page.locator('#policy-note').filter({ hasText: 'at most 65536 bytes' }).waitFor();
    expect(await budget.getAttribute('aria-invalid')).toBeNull();
    expect(ui.server.settings.get().policy.maxOutputBytes).toBe(65536);
  });

  it('is usable with the keyboard alone: every control is reachable by Tab and labelled', async () => {
    await page.goto(ui.pageUrl);
    await waitStatus(/^running on /);
    const reached: string[] = [];
    let firstStop = '';
    await page.locator('body').focus();
    // Tab through the whole page, until the focus leaves it (the browser's own UI) or comes round again.
    for (let i = 0; i < 300; i++) {
      await page.keyboard.press('Tab');
      const here = await page.evaluate(() => {
        const el = document.activeElement as HTMLElement | null;
        return !el || el === document.body ? '' : `${el.tagName}#${el.id}|${el.getAttribute('data-key') ?? ''}`;
      });
      if (here === '' || (firstStop && here === firstStop)) break;
      firstStop ||= here;
      reached.push(
        await page.evaluate(() => {
          const el = document.activeElement as HTMLElement | null;
          if (!el) return '';
          const label = el.id ? document.querySelector(`label[for="${el.id}"]`)?.textContent : '';
          return `${el.tagName.toLowerCase()}#${el.id}|${(label || el.textContent || '').trim()}`;
        }),
      );
    }
    const ids = reached.map((r) => r.split('|')[0]);
    // Bind and port are skipped while running (disabled), as they should be.
    for (const id of [
      'input#mcp-enabled',
      'button#copy-command',
      'button#regenerate',
      'input#destructive-enabled',
      'button#refresh-clusters',
      'input#policy-class-read',
      'input#policy-class-safe-mutation',
      'input#readonly-0',
      'input#policy-protected',
      'input#policy-budget',
      'textarea#policy-charts',
      'input#policy-reveal',
      'input#file-path',
      'button#file-check',
      'button#file-add',
      'input#inline-name',
      'textarea#inline-content',
      'button#inline-save',
      'select#bastion-context',
      'input#bastion-host',
      'input#bastion-key',
      'input#bastion-known-hosts',
      'button#bastion-test',
      'button#bastion-save',
      'button#refresh-forwards',
      'button#refresh-audit',
      'select#audit-tool',
      'select#audit-outcome',
      'input#audit-text',
      'button#audit-export',
    ]) {
      expect(ids).toContain(id);
    }
    expect(ids).not.toContain('input#mcp-port');
    expect(reached.find((r) => r.startsWith('input#mcp-enabled'))).toContain('Enable MCP server');
    expect(reached.find((r) => r.startsWith('input#destructive-enabled'))).toContain('Enable destructive tools');
  });

  it('has WCAG AA text contrast in light and dark mode, and no serious axe-core violation', async () => {
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      await page.reload();
      await waitStatus(/^running on /);
      await page.locator('tr[data-context="dev"]').waitFor();
      await page.waitForFunction(() => document.querySelectorAll('#audit-body tr').length >= 2);
      if (scheme === 'dark') await page.screenshot({ path: shot('09-dark'), fullPage: true });
      const failures = await page.evaluate(lowContrastText);
      expect(failures, `${scheme} mode`).toEqual([]);
      // axe-core's rules (names, roles, labels, contrast, ARIA) too: nothing serious or critical.
      const axe = await new AxeBuilder({ page }).analyze();
      expect(axe.passes.length).toBeGreaterThan(20);
      const serious = axe.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
      expect(
        serious.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`),
        `${scheme} mode`,
      ).toEqual([]);
    }
    await page.emulateMedia({ colorScheme: 'light' });
  });

  it('fits a narrow screen', async () => {
    await page.setViewportSize({ width: 400, height: 900 });
    await page.reload();
    await waitStatus(/^running on /);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await page.screenshot({ path: shot('10-narrow'), fullPage: true });
    await page.setViewportSize({ width: 1100, height: 900 });
  });
});

describe('pages from other origins', () => {
  async function attack(url: string): Promise<Record<string, string>> {
    const hostile = await context.newPage();
    try {
      await hostile.goto(url);
      await hostile.waitForFunction(() => document.title === 'done', undefined, { timeout: 15_000 });
      return await hostile.evaluate(() => (window as unknown as { __results: Record<string, string> }).__results);
    } finally {
      await hostile.close();
    }
  }

  function expectNothingLeaked(results: Record<string, string>, token: string): void {
    const all = JSON.stringify(results);
    expect(all).not.toContain(token);
    expect(all).not.toContain('csrf-token');
    expect(results.readPage).toMatch(/^blocked: TypeError/);
    expect(results.readState).toMatch(/^blocked: TypeError/);
    expect(results.readToken).toMatch(/^blocked: TypeError/);
    expect(results.enableJson).toMatch(/^blocked: TypeError/);
    // Cross-Origin-Resource-Policy: same-origin makes even an opaque read fail.
    expect(results.readPageNoCors).toMatch(/^(blocked: TypeError|type=opaque body=$)/);
    expect(results.form).toMatch(/^frame unreadable/);
  }

  async function stopped(): Promise<{ token: string; port: number }> {
    await ui.server.disableMcp();
    return { token: ui.server.tokens.ensure(), port: ui.server.mcpAddress().port };
  }

  function expectUntouched(before: { token: string; port: number }): void {
    expect(ui.server.listener.status().state).toBe('stopped');
    expect(savedSettings().mcp.enabled).toBe(false);
    expect(ui.server.mcpAddress().port).toBe(before.port);
    expect(ui.server.tokens.ensure()).toBe(before.token);
  }

  it('a page on a foreign name (http://127.0.0.2:…) is refused by the Host/Origin check', async () => {
    const before = await stopped();
    const site = await startHostileSite('127.0.0.2', ui.pageUrl);
    const mark = ui.log.length;
    try {
      const results = await attack(site.url('127.0.0.2'));
      expectNothingLeaked(results, before.token);
      expectUntouched(before);
      // The simple (no-cors) POSTs did reach the server and were refused for their Origin.
      const refusals = ui.log.slice(mark).filter((l) => l.includes('settings page refused a request'));
      expect(refusals.some((l) => l.includes('Origin \\"http://127.0.0.2:') && l.includes('"status":403'))).toBe(true);
    } finally {
      await site.close();
    }
  });

  it('a page on a loopback name but another port (http://localhost:…) lacks the CSRF token and is refused', async () => {
    const before = await stopped();
    const site = await startHostileSite('127.0.0.1', ui.pageUrl);
    const mark = ui.log.length;
    try {
      const results = await attack(site.url('localhost'));
      expectNothingLeaked(results, before.token);
      expectUntouched(before);
      const refusals = ui.log.slice(mark).filter((l) => l.includes('settings page refused a request'));
      expect(refusals.some((l) => l.includes('X-CSRF-Token') && l.includes('"origin":"http://localhost:'))).toBe(true);
    } finally {
      await site.close();
    }
  });
});
