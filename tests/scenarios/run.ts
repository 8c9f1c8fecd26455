/**
 * Runs one scenario (tests/scenarios/scenarios.ts) in a namespace of its own against the test
 * cluster and says what it cost: the tool calls made and the bytes of their answers, which is
 * what an agent pays for in its context window. Shared by the scenario tests and their benchmark.
 */
import { randomBytes } from 'node:crypto';
import { type ClusterInfo, helm, kubectl } from '../cluster/harness.js';
import type { Scenario, ScenarioRun } from './scenarios.js';

export type CallTool = (name: string, args: Record<string, unknown>) => Promise<{ isError: boolean; text: string }>;

export interface ScenarioCost {
  name: string;
  /** Tool calls the solution made (setup and checks by kubectl are not counted). */
  calls: number;
  /** Bytes of every answer the solution read, in UTF-8. */
  bytes: number;
}

export async function runScenario(info: ClusterInfo, callTool: CallTool, scenario: Scenario): Promise<ScenarioCost> {
  const ns = `kz-sc-${scenario.name}-${randomBytes(3).toString('hex')}`.slice(0, 63);
  const cost: ScenarioCost = { name: scenario.name, calls: 0, bytes: 0 };
  const run: ScenarioRun = {
    info,
    ns,
    async callRaw(tool, args) {
      const answer = await callTool(tool, args);
      cost.calls++;
      cost.bytes += Buffer.byteLength(answer.text);
      return answer;
    },
    async call(tool, args) {
      const answer = await run.callRaw(tool, args);
      if (answer.isError) throw new Error(`${scenario.name}: ${tool} ${JSON.stringify(args).slice(0, 200)} failed: ${answer.text}`);
      return answer.text;
    },
    async kubectl(args, opts = {}) {
      const r = await kubectl(info, args, { input: opts.input });
      if (r.code !== 0) throw new Error(`${scenario.name}: kubectl ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
      return r.stdout;
    },
    async helm(args) {
      const r = await helm(info, 4, args);
      if (r.code !== 0) throw new Error(`${scenario.name}: helm ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
      return r.stdout;
    },
  };
  await run.kubectl(['create', 'namespace', ns]);
  try {
    await scenario.setup(run);
    await scenario.solve(run);
    await scenario.verify(run);
    return cost;
  } finally {
    await kubectl(info, ['delete', 'namespace', ns, '--wait=false', '--ignore-not-found']);
  }
}
