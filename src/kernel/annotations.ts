/**
 * The only place that turns a safety class into MCP tool annotations. Clients use these hints to
 * decide what to auto-approve, so they must never disagree with what the kernel enforces; the
 * registry-wide test checks every tool against this function.
 */
import type { ToolAnnotations } from '@modelcontextprotocol/sdk/types.js';
import type { ToolModule } from './contract.js';

export function annotationsFor(tool: Pick<ToolModule, 'safety' | 'openWorld'>): ToolAnnotations {
  // Only what differs from the spec's defaults (readOnly false, destructive true, idempotent
  // false, openWorld true) plus the one hint clients act on per class: tools/list is paid for in
  // the model's context on every turn. No `title` either: the tool's own `title` carries it.
  const world = tool.openWorld === false ? { openWorldHint: false } : {};
  switch (tool.safety) {
    case 'read':
      return { readOnlyHint: true, ...world };
    case 'safe-mutation':
      // Changes state but never removes anything; not all are idempotent (rollout_restart).
      return { destructiveHint: false, ...world };
    case 'destructive':
      return { destructiveHint: true, ...world };
  }
}
