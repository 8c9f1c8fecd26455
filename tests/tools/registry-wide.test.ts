// Registry-wide checks over every built-in tool: the contract every module must keep, checked in
// one place so a new tool cannot quietly break it. The snapshots (every tool's input schema, and the
// whole tools/list a client receives) make any change to what the model reads a visible diff.
import { describe, expect, it } from 'vitest';
import { loadRegistry, TOOL_NAME } from '../../src/kernel/registry.js';
import { serverInstructions } from '../../src/kernel/mcp-server.js';
import { describeTool, ToolCalls } from '../../src/kernel/tool-calls.js';
import { createLogger } from '../../src/kernel/logger.js';
import { parseSettings } from '../../src/providers/config/settings.js';

const READ_TOOLS = [
  'can_i',
  'describe_resource',
  'get_events',
  'get_helm_history',
  'get_helm_revision_diff',
  'get_pod_logs',
  'get_resource_yaml',
  'helm_show',
  'list_contexts',
  'list_helm_releases',
  'list_kinds',
  'list_namespaces',
  'list_nodes',
  'list_resources',
  'port_forward_list',
  'top',
  'wait_for',
];
const DESTRUCTIVE_TOOLS = [
  'cordon_node',
  'delete_resource',
  'drain_node',
  'exec_in_pod',
  'helm_uninstall',
  'port_forward_start',
  'pvc_browse',
  'pvc_download',
  'pvc_upload',
  'taint_node',
  'uncordon_node',
];
const PROVIDERS = ['clusters', 'settings', 'tokens', 'audit', 'helm', 'portForwards'];

const registry = await loadRegistry((name) => PROVIDERS.includes(name), []);
const tools = [...registry.tools.values()].map(({ module, file }) => ({ module, file }));

describe('every built-in tool', () => {
  it('includes the read tools, each from its own file under src/tools/read', () => {
    const reads = tools.filter(({ module }) => module.safety === 'read');
    expect(reads.map(({ module }) => module.name).sort()).toEqual(READ_TOOLS);
    for (const { module, file } of reads) expect(file).toMatch(new RegExp(`/src/tools/read/${module.name}(/index)?\\.(ts|js)$`));
  });

  it('includes the destructive tools, each from its own module under src/tools/destructive', () => {
    const destructive = tools.filter(({ module }) => module.safety === 'destructive');
    expect(destructive.map(({ module }) => module.name).sort()).toEqual(DESTRUCTIVE_TOOLS);
    for (const { module, file } of destructive) expect(file).toMatch(new RegExp(`/src/tools/destructive/${module.name}(/index)?\\.(ts|js)$`));
  });

  it('has a valid, unique name, a title and a description that teaches the model with an example', () => {
    const names = tools.map(({ module }) => module.name);
    expect(new Set(names).size).toBe(names.length);
    for (const { module } of tools) {
      expect(module.name).toMatch(TOOL_NAME);
      expect(module.title.length, module.name).toBeGreaterThan(3);
      expect(module.description.length, module.name).toBeGreaterThan(80);
      expect(module.description, `${module.name} gives an example argument`).toMatch(/e\.g\.|example|\{"/i);
    }
  });

  it('tells clients, in the tools/list they receive, exactly the hints of its safety class', () => {
    // What a client reads: the hints sent, with the spec's defaults for those left out. Written
    // out per class here rather than computed, so a change to the kernel's mapping shows up.
    const EXPECTED = {
      read: { readOnlyHint: true, openWorldHint: true },
      'safe-mutation': { readOnlyHint: false, destructiveHint: false, openWorldHint: true },
      destructive: { readOnlyHint: false, destructiveHint: true, openWorldHint: true },
    } as const;
    const SPEC_DEFAULTS = { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true };
    const settings = parseSettings({ policy: { enabledClasses: ['read', 'safe-mutation', 'destructive'] } }, 'test');
    const wire = JSON.parse(
      JSON.stringify(
        new ToolCalls(
          registry,
          () => settings.policy,
          () => ({}),
          createLogger({ level: 'error' }),
        ).list(),
      ),
    ) as Array<{
      name: string;
      annotations?: Record<string, unknown>;
    }>;
    expect(wire).toHaveLength(tools.length);
    for (const listed of wire) {
      const module = registry.tools.get(listed.name)!.module;
      const effective = { ...SPEC_DEFAULTS, ...listed.annotations };
      expect(effective, listed.name).toMatchObject({ ...EXPECTED[module.safety], ...(module.openWorld === false ? { openWorldHint: false } : {}) });
    }
    expect(
      wire
        .filter((t) => t.annotations?.readOnlyHint === true)
        .map((t) => t.name)
        .sort(),
    ).toEqual(READ_TOOLS);
  });

  it('takes an optional `context` when it talks to a cluster, and documents every argument', () => {
    for (const { module } of tools) {
      const properties = module.input.properties as Record<string, { description?: string }>;
      if (module.needs?.includes('clusters' as never) && module.name !== 'list_contexts') {
        expect(properties, module.name).toHaveProperty('context');
        expect(module.input.required ?? [], module.name).not.toContain('context');
      }
      for (const [arg, schema] of Object.entries(properties)) {
        expect(schema.description, `${module.name}.${arg} has a description`).toBeTruthy();
      }
    }
  });

  it('is explained to the model in tools/list or, when several tools share the argument, once in the instructions', () => {
    const settings = parseSettings({ policy: { enabledClasses: ['read', 'safe-mutation', 'destructive'] } }, 'test');
    const toolCalls = new ToolCalls(
      registry,
      () => settings.policy,
      () => ({}),
      createLogger({ level: 'error' }),
    );
    const instructions = serverInstructions(toolCalls);
    const listed = toolCalls.list();
    expect(listed.map((tool) => tool.name).sort()).toEqual(tools.map(({ module }) => module.name).sort());
    for (const tool of listed) {
      for (const [arg, schema] of Object.entries(tool.inputSchema.properties as Record<string, { description?: string }>)) {
        if (schema.description) continue;
        expect(instructions, `${tool.name}.${arg} is explained somewhere`).toContain(`- \`${arg}\`: `);
      }
    }
    // The arguments nearly every tool takes are the ones worth saying once.
    expect(toolCalls.sharedArguments.descriptions.get('context')).toMatch(/default: the current one/);
    expect(toolCalls.sharedArguments.descriptions.get('namespace')).toMatch(/default/);
  });

  it('bounds every duration argument, so no value overflows a timer or an API field', () => {
    for (const { module } of tools) {
      for (const [key, schema] of Object.entries(describeTool(module).inputSchema.properties ?? {})) {
        const s = schema as { type?: string; maximum?: number };
        if (/(Seconds|Ms)$/.test(key)) {
          expect(s.type, `${module.name}.${key}`).toBe('integer');
          expect(s.maximum, `${module.name}.${key} declares a maximum`).toBeLessThanOrEqual(31_536_000);
        }
      }
    }
  });

  it('keeps its input schema as snapshotted', async () => {
    const schemas = Object.fromEntries(
      tools.map(({ module }) => [module.name, describeTool(module).inputSchema]).sort(([a], [b]) => String(a).localeCompare(String(b))),
    );
    await expect(JSON.stringify(schemas, null, 2) + '\n').toMatchFileSnapshot('__snapshots__/tool-input-schemas.json');
  });

  it('sends, in tools/list under the default settings, exactly the snapshotted text the model reads', async () => {
    // Names, titles, descriptions, annotations and schemas as a client receives them, so any change
    // to what the model reads is a reviewed diff, and its size (what every session pays) is printed.
    const settings = parseSettings({}, 'test');
    const wire = new ToolCalls(
      registry,
      () => settings.policy,
      () => ({}),
      createLogger({ level: 'error' }),
    ).list();
    const bytes = Buffer.byteLength(JSON.stringify({ tools: wire }));
    console.log(`tools/list under the default settings: ${wire.length} tools, ${bytes} bytes`);
    await expect(JSON.stringify(wire, null, 2) + '\n').toMatchFileSnapshot('__snapshots__/tools-list.json');
  });
});

describe('every built-in prompt', () => {
  it('is investigate, from src/prompts, and names only tools that exist, with arguments they take', async () => {
    expect([...registry.prompts.keys()]).toEqual(['investigate']);
    const { module, file } = registry.prompts.get('investigate')!;
    expect(file).toMatch(/\/src\/prompts\/investigate\.(ts|js)$/);
    const [message] = await module.render({ target: 'deploy/web', namespace: 'shop', context: 'prod' } as never);
    const text = (message!.content as { text: string }).text;
    expect(text).toContain('Investigate why deploy/web in namespace shop (context prod) is unhealthy. Read only');
    const called = [...text.matchAll(/`([a-z_]+)\((\{[^`]*\})?/g)];
    expect(called.length).toBeGreaterThanOrEqual(5);
    for (const [, name, json] of called) {
      const tool = registry.tools.get(name!);
      expect(tool, `${name} is a tool`).toBeDefined();
      if (!json) continue;
      const args = JSON.parse(json) as Record<string, unknown>;
      expect(
        Object.keys(args).every((arg) => arg in tool!.module.input.properties),
        `${name} takes ${Object.keys(args).join(', ')}`,
      ).toBe(true);
      expect(args).toMatchObject({ namespace: 'shop', context: 'prod' });
    }
    for (const name of text.matchAll(/`([a-z]+_[a-z_]+)`/g)) expect(registry.tools.has(name[1]!), name[1]).toBe(true);
  });
});
