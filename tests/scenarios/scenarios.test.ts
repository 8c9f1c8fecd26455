/**
 * The everyday jobs of tests/scenarios/scenarios.ts, each solved through MCP tool calls alone
 * against the real test cluster and verified with kubectl and helm.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startToolEnv, type ToolEnv } from '../tools/helpers.js';
import { runScenario } from './run.js';
import { SCENARIOS } from './scenarios.js';

let env: ToolEnv;

beforeAll(async () => {
  env = await startToolEnv();
  process.env.KUBEZILLA_HELM = env.info.tools.helm4;
});
afterAll(async () => {
  await env?.close();
});

describe('scenarios: everyday jobs done with the tools alone', () => {
  it('has at least twelve', () => {
    expect(SCENARIOS.length).toBeGreaterThanOrEqual(12);
  });

  for (const scenario of SCENARIOS) {
    it(`${scenario.name}: ${scenario.task}`, { timeout: 240_000 }, async () => {
      const cost = await runScenario(env.info, env.callRaw, scenario);
      expect(cost.calls).toBeGreaterThan(0);
    });
  }
});
