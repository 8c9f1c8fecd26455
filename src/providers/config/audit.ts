/**
 * The audit log: one JSON line per mutation in <config dir>/audit.log (mode 0600), append-only.
 * The kernel records every call of a non-read tool once, whatever the outcome (the composition root
 * hands it `audit.record`), so no tool can forget to; the settings page shows `audit.recent(n)`.
 *
 * An entry says who (the MCP session), what (tool, context, namespace, target), how it ended and a
 * one-line summary. It never holds secrets or manifest contents: every string field is passed
 * through the logger's scrubber (registered tokens, Bearer credentials, kz_ tokens) and capped in
 * length, and entries carry no free-form objects. Each entry is written with a single O_APPEND
 * write, so concurrent writers never interleave within a line. The file is never opened through a
 * link: one would let another program collect the entries or feed the settings page a foreign file.
 *
 * In a cluster (`serve --audit-stdout`) each entry is also written to stdout as one JSON line
 * marked `"stream":"audit"`, where the cluster's log collector picks it up: the file lives on the
 * pod's scratch volume and goes with the pod.
 */
import { closeSync, fstatSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { scrub } from '../../kernel/logger.js';
import { appendPrivateFile, openPrivateFileForReading, type PrivateFileLabel } from './config-dir.js';

declare module '../../kernel/contract.js' {
  interface Providers {
    audit: AuditLog;
  }
}

export type AuditOutcome = 'ok' | 'error' | 'refused' | 'cancelled' | 'dry-run';

export interface AuditEntry {
  /** ISO 8601, set by record() when absent. */
  time: string;
  /** The MCP session id (or another caller label, e.g. `cli`). */
  session: string;
  /** Team mode: the signed-in person the call acted as (the user name the cluster saw). */
  person?: string;
  /** The tool name, e.g. `scale`. */
  tool: string;
  context: string;
  namespace: string;
  /** What was changed: `deploy/web`, `release/my-app`, `3 documents`. */
  target: string;
  outcome: AuditOutcome;
  /** One line a person can read: `replicas 3 → 5`, `Forbidden: …`. Never manifest contents. */
  summary: string;
}

export type AuditInput = Omit<AuditEntry, 'time' | 'session' | 'context' | 'namespace' | 'summary'> &
  Partial<Pick<AuditEntry, 'time' | 'session' | 'person' | 'context' | 'namespace' | 'summary'>>;

const FIELD_LIMITS: Record<keyof AuditEntry, number> = {
  time: 40,
  session: 100,
  person: 300,
  tool: 128,
  context: 256,
  namespace: 253,
  target: 300,
  outcome: 20,
  summary: 500,
};
const OUTCOMES: readonly AuditOutcome[] = ['ok', 'error', 'refused', 'cancelled', 'dry-run'];
/** recent() reads at most this much of the file's tail. */
const TAIL_BYTES = 1024 * 1024;

const auditFileLabel = (file: string): PrivateFileLabel => ({
  code: 'AUDIT_LOG_UNUSABLE',
  fix: `Move it away (\`mv '${file}' '${file}.old'\`); Kubezilla starts a new audit log as a regular 0600 file.`,
});

function clean(value: unknown, limit: number): string {
  const text = scrub(String(value ?? ''))
    .replace(/[\r\n\t]+/g, ' ')
    .trim();
  return text.length > limit ? text.slice(0, limit - 1) + '…' : text;
}

export class AuditLog {
  readonly file: string;

  readonly #mirror: ((line: string) => void) | undefined;

  constructor(
    readonly dir: string,
    options: { mirror?: (line: string) => void } = {},
  ) {
    this.file = join(dir, 'audit.log');
    this.#mirror = options.mirror;
  }

  /** Appends one entry; returns it as written. Never throws for a bad field, only for I/O. */
  record(input: AuditInput): AuditEntry {
    const entry: AuditEntry = {
      time: clean(input.time ?? new Date().toISOString(), FIELD_LIMITS.time),
      session: clean(input.session ?? '', FIELD_LIMITS.session),
      // Only in team mode: a laptop's lines stay as they were.
      ...(input.person ? { person: clean(input.person, FIELD_LIMITS.person) } : {}),
      tool: clean(input.tool, FIELD_LIMITS.tool),
      context: clean(input.context ?? '', FIELD_LIMITS.context),
      namespace: clean(input.namespace ?? '', FIELD_LIMITS.namespace),
      target: clean(input.target, FIELD_LIMITS.target),
      outcome: OUTCOMES.includes(input.outcome) ? input.outcome : 'error',
      summary: clean(input.summary ?? '', FIELD_LIMITS.summary),
    };
    appendPrivateFile(this.file, JSON.stringify(entry) + '\n', auditFileLabel(this.file));
    this.#mirror?.(JSON.stringify({ stream: 'audit', ...entry }) + '\n');
    return entry;
  }

  /** The newest `limit` entries, newest first. Unparseable lines are skipped. */
  recent(limit = 50): AuditEntry[] {
    if (limit <= 0) return [];
    const fd = openPrivateFileForReading(this.file, auditFileLabel(this.file));
    if (fd === undefined) return [];
    let text: string;
    let fromStart: boolean;
    try {
      const size = fstatSync(fd).size;
      const length = Math.min(size, TAIL_BYTES);
      const buffer = Buffer.alloc(length);
      readSync(fd, buffer, 0, length, size - length);
      text = buffer.toString('utf8');
      fromStart = length === size;
    } finally {
      closeSync(fd);
    }
    const lines = text.split('\n');
    if (!fromStart) lines.shift(); // a partial first line
    const entries: AuditEntry[] = [];
    for (let i = lines.length - 1; i >= 0 && entries.length < limit; i--) {
      const line = lines[i]!.trim();
      if (!line) continue;
      try {
        const parsed = JSON.parse(line) as Partial<AuditEntry>;
        if (typeof parsed.tool === 'string' && typeof parsed.time === 'string') {
          entries.push({
            time: parsed.time,
            session: String(parsed.session ?? ''),
            ...(typeof parsed.person === 'string' ? { person: parsed.person } : {}),
            tool: parsed.tool,
            context: String(parsed.context ?? ''),
            namespace: String(parsed.namespace ?? ''),
            target: String(parsed.target ?? ''),
            outcome: (OUTCOMES as readonly string[]).includes(String(parsed.outcome)) ? (parsed.outcome as AuditOutcome) : 'error',
            summary: String(parsed.summary ?? ''),
          });
        }
      } catch {
        // a torn or foreign line: skip it
      }
    }
    return entries;
  }
}
