/**
 * The only place that turns a safety class into MCP tool annotations. Clients use these hints to
 * decide what to auto-approve, so they must never disagree with what the kernel enforces; the
 * registry-wide test checks every tool against this function.
 */
import type { ToolAnnotations } from '@modelcontextprotocol/sdk/types.js';
import type { ToolModule } from './contract.js';

export function annotationsFor(tool: Pick<ToolModule, 'safety' | 'title' | 'openWorld'>): ToolAnnotations {
  const openWorldHint = tool.openWorld ?? true;
  switch (tool.safety) {
    case 'read':
      return { title: tool.title, readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint };
    case 'safe-mutation':
      // Changes state but never removes anything; not all of them are idempotent (rollout_restart),
      // so the class promises no idempotency.
      return { title: tool.title, readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint };
    case 'destructive':
      return { title: tool.title, readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint };
  }
}
