/**
 * Activity on the settings page: the audit log with filters and a JSON-lines export, the open
 * port forwards with a Stop for each, and the connected MCP sessions with their clients' names.
 *
 * The audit filters (tool, context, outcome, free text) are applied here, to the entries of the
 * log's tail that AuditLog reads (its last megabyte), so the page never downloads the whole log
 * to show a page of it. The export is the same filtered entries, oldest first as in the file,
 * one JSON object a line (what `jq` and log shippers read); it is a GET like every read, behind
 * the same CSRF header, so the page fetches it and hands it to the browser as a download.
 */
import type Router from '@koa/router';
import type { Logger } from '../kernel/logger.js';
import type { AuditEntry, AuditOutcome } from '../providers/config/audit.js';
import type { SettingsControl } from './app.js';
import { readJsonBody, refuse, requiredString, withFieldChecks } from './http.js';

const OUTCOMES: readonly AuditOutcome[] = ['ok', 'error', 'refused', 'cancelled', 'dry-run'];
/** How many of the newest entries filters search (the whole tail of a normal log). */
const SEARCHED = 5000;
const MAX_FILTER_LENGTH = 200;

export interface AuditFilter {
  tool?: string;
  context?: string;
  outcome?: AuditOutcome;
  text?: string;
}

function queryValue(value: unknown): string | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (typeof text !== 'string' || !text.trim()) return undefined;
  return text.trim().slice(0, MAX_FILTER_LENGTH);
}

/** The filter a query string asks for; an outcome that is not one is a problem, not ignored. */
export function auditFilter(query: Record<string, unknown>): AuditFilter | { problem: string } {
  const outcome = queryValue(query.outcome);
  if (outcome && !(OUTCOMES as readonly string[]).includes(outcome)) return { problem: `outcome must be one of ${OUTCOMES.join(', ')}` };
  const filter: AuditFilter = {};
  const tool = queryValue(query.tool);
  const context = queryValue(query.context);
  const text = queryValue(query.text);
  if (tool) filter.tool = tool;
  if (context) filter.context = context;
  if (outcome) filter.outcome = outcome as AuditOutcome;
  if (text) filter.text = text.toLowerCase();
  return filter;
}

export function matches(entry: AuditEntry, filter: AuditFilter): boolean {
  if (filter.tool && entry.tool !== filter.tool) return false;
  if (filter.context && entry.context !== filter.context) return false;
  if (filter.outcome && entry.outcome !== filter.outcome) return false;
  if (filter.text) {
    const haystack = [entry.tool, entry.target, entry.summary, entry.context, entry.namespace, entry.session].join('\n').toLowerCase();
    if (!haystack.includes(filter.text)) return false;
  }
  return true;
}

export function registerActivityRoutes(router: Router, control: SettingsControl, log: Logger): void {
  router.get('/api/audit', (ctx) => {
    const limit = Math.min(Math.max(Number(ctx.query.limit) || 25, 1), 200);
    const filter = auditFilter(ctx.query);
    if ('problem' in filter) return refuse(ctx, filter.problem, [{ field: 'outcome', reason: filter.problem }]);
    try {
      const audit = control.audit;
      const searched = audit.recent(SEARCHED);
      const found = searched.filter((e) => matches(e, filter));
      ctx.body = {
        entries: found.slice(0, limit),
        matched: found.length,
        searched: searched.length,
        file: audit.file,
        // What the filter lists offer: the tools and contexts that appear in the log.
        tools: [...new Set(searched.map((e) => e.tool))].sort(),
        contexts: [...new Set(searched.map((e) => e.context).filter(Boolean))].sort(),
        outcomes: OUTCOMES,
      };
    } catch (err) {
      ctx.body = {
        entries: [],
        matched: 0,
        searched: 0,
        tools: [],
        contexts: [],
        outcomes: OUTCOMES,
        error: `The audit log is unavailable: ${(err as Error).message}`,
      };
    }
  });

  router.get('/api/audit/export', (ctx) => {
    const filter = auditFilter(ctx.query);
    if ('problem' in filter) return refuse(ctx, filter.problem, [{ field: 'outcome', reason: filter.problem }]);
    const entries = control.audit
      .recent(SEARCHED)
      .filter((e) => matches(e, filter))
      .reverse();
    const day = new Date().toISOString().slice(0, 10);
    ctx.type = 'application/x-ndjson; charset=utf-8';
    ctx.set('Content-Disposition', `attachment; filename="kubezilla-audit-${day}.jsonl"`);
    ctx.body = entries.map((e) => JSON.stringify(e)).join('\n') + (entries.length ? '\n' : '');
  });

  router.post('/api/forwards/stop', async (ctx) => {
    const input = await readJsonBody(ctx);
    const id = await withFieldChecks(ctx, () => requiredString(input, 'id'));
    if (!id) return;
    const stopped = await control.stopForward(id, 'stopped from the settings page');
    if (!stopped)
      return refuse(ctx, `No open port forward has the id ${id}; it may have ended already.`, [{ field: 'id', reason: 'no such open forward' }], 404);
    log.info('port forward stopped from the settings page', { id, target: stopped.target, context: stopped.context });
    const { open, ended } = control.portForwards();
    ctx.body = { stopped: stopped.id, forwards: open, ended };
  });

  router.get('/api/sessions', (ctx) => {
    ctx.body = { sessions: control.mcpSessions() };
  });
}
