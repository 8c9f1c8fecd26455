/**
 * The settings page's kubeconfig sources: files added by path and inline kubeconfigs pasted in,
 * both saved in settings.json (`kubeconfig.files`, `kubeconfig.inline`), plus a reachability Test
 * per context.
 *
 * - A file is checked before it is saved: it must be a readable regular file that parses as a
 *   kubeconfig with at least one context; the check answers its contexts and servers (never a
 *   user's credentials), with each problem's line.
 * - An inline kubeconfig is parsed the same way, then stored in settings.json (0600, atomic) and
 *   never sent back: every answer describes it by its contexts, clusters and servers only.
 * - Test asks the context's API server for /version (through its SSH tunnel when it has one) and
 *   answers the version and how long the request took, or the error the tools would give.
 */
import type Router from '@koa/router';
import { isAbsolute, resolve } from 'node:path';
import { homedir } from 'node:os';
import { parseKubeconfigText } from '../providers/cluster/kubeconfig-merge.js';
import { expandHome, readKubeconfigFile, type SourceProblem, type SourceSpec } from '../providers/cluster/kubeconfig-sources.js';
import type { Settings } from '../providers/config/settings.js';
import type { SettingsControl } from './app.js';
import { FieldProblem, MAX_KUBECONFIG_JSON_BYTES, readJsonBody, refuse, requiredString, saveSettings, withFieldChecks } from './http.js';

export interface ContextPreview {
  name: string;
  cluster: string;
  server: string | null;
  namespace: string | null;
}

export interface SourcePreview {
  /** The file's absolute path, or the inline kubeconfig's name. */
  id: string;
  /** False when the source could not be read or parsed at all. */
  ok: boolean;
  contexts: ContextPreview[];
  problems: Array<{ message: string; line: number | null }>;
}

/** Inline kubeconfigs are named like contexts are typed: short, no spaces, no path characters. */
const INLINE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;

/** Parses one kubeconfig text into what the page may show of it: contexts and servers only. */
export function previewKubeconfig(text: string, spec: SourceSpec, id: string): SourcePreview {
  const parsed = parseKubeconfigText(text, spec);
  const servers = new Map(parsed.clusters.map((c) => [c.name, typeof c.body.server === 'string' ? c.body.server : null]));
  return {
    id,
    ok: parsed.ok,
    contexts: parsed.contexts.map((c) => {
      const cluster = typeof c.body.cluster === 'string' ? c.body.cluster : '';
      return {
        name: c.name,
        cluster,
        server: servers.get(cluster) ?? null,
        namespace: typeof c.body.namespace === 'string' ? c.body.namespace : null,
      };
    }),
    problems: parsed.problems.map((p: SourceProblem) => ({ message: p.message, line: p.line ?? null })),
  };
}

function absolutePath(input: string): string {
  const expanded = expandHome(input, homedir());
  if (!isAbsolute(expanded)) throw new FieldProblem('path', `"${input}" is not an absolute path: give the full path (or one starting with ~/)`);
  return resolve(expanded);
}

/** Reads and parses a kubeconfig file; an unreadable file is a preview with ok false and the reason. */
export function previewFile(path: string): SourcePreview {
  let text: string;
  try {
    text = readKubeconfigFile(path);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const why = e.code === 'ENOENT' ? 'no such file' : e.code === 'EACCES' ? 'permission denied' : e.code === 'EISDIR' ? 'is a directory' : e.message;
    return { id: path, ok: false, contexts: [], problems: [{ message: `cannot read: ${why}`, line: null }] };
  }
  return previewKubeconfig(text, { origin: 'settings', id: path, required: true }, path);
}

function previewInline(entry: { name: string; content: string }): SourcePreview {
  return previewKubeconfig(entry.content, { origin: 'inline', id: `inline:${entry.name}`, content: entry.content, required: true }, entry.name);
}

/** Why a preview may not be saved, or undefined when it may. */
function unusable(preview: SourcePreview): string | undefined {
  if (!preview.ok) {
    const first = preview.problems[0];
    return `${first ? first.message : 'it does not parse'}${first?.line ? ` (line ${first.line})` : ''}`;
  }
  if (!preview.contexts.length) return 'it defines no contexts';
  return undefined;
}

/** What the page shows of the kubeconfig sources saved in the settings. */
export function savedSources(settings: Settings): { files: SourcePreview[]; inline: SourcePreview[] } {
  return {
    files: settings.kubeconfig.files.map((f) => previewFile(resolve(expandHome(f, homedir())))),
    inline: settings.kubeconfig.inline.map(previewInline),
  };
}

export function registerClusterRoutes(router: Router, control: SettingsControl): void {
  const answer = () => savedSources(control.settings.get());

  router.get('/api/kubeconfig', (ctx) => {
    ctx.body = answer();
  });

  /** Checks a file without saving anything: what Add would save, or why it would not. */
  router.post('/api/kubeconfig/check', async (ctx) => {
    const input = await readJsonBody(ctx);
    const preview = await withFieldChecks(ctx, () => previewFile(absolutePath(requiredString(input, 'path'))));
    if (preview) ctx.body = { preview, problem: unusable(preview) ?? null };
  });

  router.post('/api/kubeconfig/files', async (ctx) => {
    const input = await readJsonBody(ctx);
    const path = await withFieldChecks(ctx, () => absolutePath(requiredString(input, 'path')));
    if (!path) return;
    const preview = previewFile(path);
    const why = unusable(preview);
    if (why) return refuse(ctx, `${path} was not added: ${why}`, [{ field: 'path', reason: why }], 400, { preview });
    const saved = saveSettings(ctx, control.settings, (s) => {
      const known = s.kubeconfig.files.map((f) => resolve(expandHome(f, homedir())));
      if (known.includes(path)) throw new FieldProblem('path', `${path} is already in the settings`);
      s.kubeconfig.files.push(path);
    });
    if (saved) ctx.body = { ...answer(), preview };
  });

  router.post('/api/kubeconfig/files/remove', async (ctx) => {
    const input = await readJsonBody(ctx);
    const path = await withFieldChecks(ctx, () => requiredString(input, 'path'));
    if (!path) return;
    const saved = saveSettings(ctx, control.settings, (s) => {
      const index = s.kubeconfig.files.findIndex((f) => f === path || resolve(expandHome(f, homedir())) === path);
      if (index < 0) throw new FieldProblem('path', `${path} is not a kubeconfig file of the settings`);
      s.kubeconfig.files.splice(index, 1);
    });
    if (saved) ctx.body = answer();
  });

  router.post('/api/kubeconfig/inline', async (ctx) => {
    const input = await readJsonBody(ctx, MAX_KUBECONFIG_JSON_BYTES);
    const entry = await withFieldChecks(ctx, () => {
      const name = requiredString(input, 'name');
      if (!INLINE_NAME.test(name)) throw new FieldProblem('name', 'takes letters, digits, ".", "_" and "-" (up to 63, starting with a letter or digit)');
      if (typeof input.content !== 'string' || !input.content.trim()) throw new FieldProblem('content', 'is required: paste the kubeconfig YAML');
      return { name, content: input.content };
    });
    if (!entry) return;
    const preview = previewInline(entry);
    const why = unusable(preview);
    // The refusal describes the text by its problems and contexts only, never echoing it.
    if (why) return refuse(ctx, `The inline kubeconfig "${entry.name}" was not saved: ${why}`, [{ field: 'content', reason: why }], 400, { preview });
    const saved = saveSettings(ctx, control.settings, (s) => {
      if (s.kubeconfig.inline.some((i) => i.name === entry.name))
        throw new FieldProblem('name', `an inline kubeconfig named "${entry.name}" exists already: remove it first, or pick another name`);
      s.kubeconfig.inline.push(entry);
    });
    if (saved) ctx.body = { ...answer(), preview };
  });

  router.post('/api/kubeconfig/inline/remove', async (ctx) => {
    const input = await readJsonBody(ctx);
    const name = await withFieldChecks(ctx, () => requiredString(input, 'name'));
    if (!name) return;
    const saved = saveSettings(ctx, control.settings, (s) => {
      const index = s.kubeconfig.inline.findIndex((i) => i.name === name);
      if (index < 0) throw new FieldProblem('name', `there is no inline kubeconfig named "${name}"`);
      s.kubeconfig.inline.splice(index, 1);
    });
    if (saved) ctx.body = answer();
  });

  /** GET /version on the context's API server, timed. Reads only; contacts nothing else. */
  router.post('/api/clusters/test', async (ctx) => {
    const input = await readJsonBody(ctx);
    const context = await withFieldChecks(ctx, () => requiredString(input, 'context'));
    if (!context) return;
    ctx.body = { context, ...(await control.probeContext(context)) };
  });
}
