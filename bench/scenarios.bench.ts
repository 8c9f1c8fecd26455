/**
 * What the everyday jobs of tests/scenarios/scenarios.ts cost an agent: per scenario, the tool
 * calls its solution made and the bytes of the answers it read (what fills a model's context).
 * Each has a budget in the scenario itself; a change that makes an answer longer or a job take
 * more calls misses it and shows in the table.
 *
 *   npm run cluster:up && npm run bench:scenarios
 *
 * Needs the local test cluster (tests/cluster/README.md); every scenario runs in a namespace of
 * its own, deleted afterwards. Exits 1 on a miss.
 */
import { clusterInfo } from '../tests/cluster/harness.js';
import { connectClient, startTestServer, textOf } from '../tests/helpers/server.js';
import { runScenario } from '../tests/scenarios/run.js';
import { SCENARIOS } from '../tests/scenarios/scenarios.js';
import { atMost, Report } from './report.js';

const info = clusterInfo();
process.env.KUBEZILLA_HELM ??= info.tools.helm4;
const server = await startTestServer({ kubeconfigPaths: [info.kubeconfig], toolDirs: [] });
const { client } = await connectClient(server.url, server.token);
const report = new Report('scenarios');
try {
  for (const scenario of SCENARIOS) {
    try {
      const cost = await runScenario(
        info,
        async (name, args) => {
          const result = await client.callTool({ name, arguments: args }, undefined, { timeout: 300_000 });
          return { isError: result.isError === true, text: textOf(result) };
        },
        scenario,
      );
      report.add({ name: `${scenario.name}: tool calls`, value: cost.calls, unit: 'count', target: atMost('value', scenario.budget.calls) });
      report.add({ name: `${scenario.name}: answer bytes`, value: cost.bytes, unit: 'B', target: atMost('value', scenario.budget.bytes) });
    } catch (err) {
      report.failed(`${scenario.name}`, 'count', (err as Error).message.split('\n')[0]!.slice(0, 160), atMost('value', scenario.budget.calls));
    }
  }
} finally {
  await client.close();
  await server.close();
}
report.done();
