/**
 * The only place that turns a safety class into MCP tool annotations. Clients use these hints to
 * decide what to auto-approve, so they must never disagree with what the kernel enforces; the
 * registry-wide test checks every tool against this function.
 */
import type { ToolAnnotations } from '@modelcontextprotocol/sdk/types.js';
import type { ToolModule } from './contract.js';

export function annotationsFor(tool: Pick<ToolModule, 'safety' | 'openWorld'>): ToolAnnotations {
  // No `title` here: the tool's own `title` field carries it, and every byte of tools/list is
  // paid for in the model's context on every turn.
  const openWorldHint = tool.openWorld ?? true;
  switch (tool.safety) {
    case 'read':
      return { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint };
    case 'safe-mutation':
      // Changes state but never removes anything; not all of them are idempotent (rollout_restart),
      // so the class promises no idempotency.
      return { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint };
    case 'destructive':
      return { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint };
  }
}
