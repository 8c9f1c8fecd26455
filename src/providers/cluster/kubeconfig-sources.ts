/**
 * Where kubeconfigs come from, in kubectl's order (see kubeconfig.ts), and reading one safely:
 * a FIFO, a device or a huge file at a kubeconfig path must not freeze the server.
 */
import { createHash } from 'node:crypto';
import { closeSync, constants, fstatSync, openSync, readdirSync, readFileSync, statSync, type Stats } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';

/** Where a kubeconfig source came from. */
export type SourceOrigin = 'in-cluster' | 'KUBECONFIG' | 'default' | 'flag' | 'settings' | 'inline';

export interface SourceSpec {
  origin: SourceOrigin;
  /** Absolute file path, or `inline:<name>` for inline kubeconfigs. */
  id: string;
  /** Present for inline sources. */
  content?: string;
  /** A file the person asked for explicitly: reported when missing (KUBECONFIG entries are not). */
  required: boolean;
}

export interface SourceProblem {
  source: string;
  message: string;
  line?: number;
  column?: number;
}

/** The raw kubeconfig entries (as in the file, paths made absolute) that make one context. */

export interface KubeconfigInputs {
  env?: Record<string, string | undefined>;
  home?: string;
  flagPaths?: () => string[];
  settingsFiles?: () => string[];
  inline?: () => Array<{ name: string; content: string }>;
  /** The pod's own cluster (`serve --in-cluster`, see in-cluster.ts): first, and current. */
  inCluster?: { id: string; content: string };
}

/** Lists the sources in priority order. */
export function discoverSources(inputs: KubeconfigInputs): { specs: SourceSpec[]; problems: SourceProblem[] } {
  const env = inputs.env ?? process.env;
  const home = inputs.home ?? homedir();
  const specs: SourceSpec[] = [];
  const problems: SourceProblem[] = [];
  const seen = new Set<string>();
  const add = (spec: SourceSpec) => {
    if (seen.has(spec.id)) return;
    seen.add(spec.id);
    specs.push(spec);
  };
  if (inputs.inCluster) add({ origin: 'in-cluster', id: inputs.inCluster.id, content: inputs.inCluster.content, required: true });
  const kubeconfigEnv = env.KUBECONFIG;
  if (kubeconfigEnv && kubeconfigEnv.trim() !== '') {
    for (const part of kubeconfigEnv.split(delimiter)) {
      if (part.trim() === '') continue;
      add({ origin: 'KUBECONFIG', id: resolve(expandHome(part.trim(), home)), required: false });
    }
  } else {
    add({ origin: 'default', id: join(home, '.kube', 'config'), required: false });
  }
  for (const path of inputs.flagPaths?.() ?? []) add({ origin: 'flag', id: resolve(expandHome(path, home)), required: true });
  for (const entry of inputs.settingsFiles?.() ?? []) {
    const path = resolve(expandHome(entry, home));
    let stats: Stats | undefined;
    try {
      stats = statSync(path);
    } catch {
      stats = undefined;
    }
    if (stats?.isDirectory()) {
      let names: string[] = [];
      try {
        names = readdirSync(path)
          .filter((n) => !n.startsWith('.'))
          .sort();
      } catch (err) {
        problems.push({ source: path, message: `cannot list directory: ${(err as Error).message}` });
      }
      for (const name of names) {
        const file = join(path, name);
        try {
          if (statSync(file).isFile()) add({ origin: 'settings', id: file, required: true });
        } catch {
          /* vanished between readdir and stat */
        }
      }
    } else {
      add({ origin: 'settings', id: path, required: true });
    }
  }
  for (const { name, content } of inputs.inline?.() ?? []) {
    add({ origin: 'inline', id: `inline:${name}`, content, required: true });
  }
  return { specs, problems };
}

/** Far beyond any real kubeconfig (a few KB; a few MB with many embedded certificates). */
export const MAX_KUBECONFIG_BYTES = 16 * 1024 * 1024;

/**
 * Reads a kubeconfig without letting the file freeze the server: opened non-blocking (a FIFO
 * planted at the path would otherwise block the one thread every session shares), refused unless
 * it is a regular file, and refused past MAX_KUBECONFIG_BYTES before anything is read.
 */
export function readKubeconfigFile(path: string): string {
  const fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  try {
    const stats = fstatSync(fd);
    if (stats.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    if (!stats.isFile()) throw new Error('is not a regular file (a FIFO, socket or device); a kubeconfig source must be a file');
    if (stats.size > MAX_KUBECONFIG_BYTES) {
      throw new Error(`is ${Math.round(stats.size / 1024 / 1024)} MB, larger than the ${MAX_KUBECONFIG_BYTES / 1024 / 1024} MB a kubeconfig may be`);
    }
    return readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
}

export function expandHome(path: string, home: string): string {
  return path === '~' ? home : path.startsWith('~/') ? join(home, path.slice(2)) : path;
}

export function signatureOf(spec: SourceSpec): string | undefined {
  if (spec.content !== undefined) return 'inline:' + sha(spec.content);
  try {
    const s = statSync(spec.id);
    return `${s.ino}:${s.size}:${s.mtimeMs}:${s.ctimeMs}`;
  } catch {
    return undefined;
  }
}

export function sha(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}
