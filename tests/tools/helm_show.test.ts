/**
 * helm_show with the real helm 3 and helm 4, from the test cluster's chart repository and from a
 * local chart directory: the same text `helm show` prints, the chosen version, the source policy.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTool } from '../cluster/context.js';
import { startToolEnv, type ToolEnv } from './helpers.js';
import { chart, helmSwitch, type HelmMajor } from './helm-fixtures.js';

let env: ToolEnv;
let restricted: ToolEnv;
const useHelm = helmSwitch(() => env.info);

/** What helm itself prints for the same question. */
async function helmShows(major: HelmMajor, args: string[]): Promise<string> {
  const r = await runTool(major === 3 ? env.info.tools.helm3 : env.info.tools.helm4, ['show', ...args]);
  if (r.code !== 0) throw new Error(`helm show ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trimEnd();
}

/** The answer without its header line. */
const body = (text: string) => text.split('\n').slice(1).join('\n');

describe('helm_show', () => {
  beforeAll(async () => {
    env = await startToolEnv();
    restricted = await startToolEnv({ settings: { policy: { allowedChartSources: ['https://charts.example.com'] } } });
  });
  afterAll(async () => {
    await env?.close();
    await restricted?.close();
  });

  for (const major of [3, 4] as const) {
    it(`shows values and metadata as helm ${major} show does, from the repository and a local directory`, async () => {
      useHelm(major);
      const repo = env.info.charts.repoUrl;
      const values = await env.call('helm_show', { chart: 'kz-demo', repo, version: '0.1.0' });
      expect(values.split('\n')[0]).toMatch(new RegExp(`^# helm show values kz-demo 0\\.1\\.0 \\(repo ${repo.replace(/[.]/g, '\\.')}\\), helm v${major}\\.`));
      expect(body(values)).toBe(await helmShows(major, ['values', 'kz-demo', '--repo', repo, '--version', '0.1.0']));

      const meta = await env.call('helm_show', { chart: 'kz-demo', repo, version: '0.2.0', show: 'chart' });
      expect(body(meta)).toBe(await helmShows(major, ['chart', 'kz-demo', '--repo', repo, '--version', '0.2.0']));
      expect(meta).toMatch(/^version: 0\.2\.0$/m);

      const local = await env.call('helm_show', { chart: chart(env.info, '0.2.0') });
      expect(body(local)).toBe(await helmShows(major, ['values', chart(env.info, '0.2.0')]));
      expect(await env.call('helm_show', { chart: chart(env.info, '0.1.0'), show: 'readme' })).toBe(`Chart ${chart(env.info, '0.1.0')} has no README.`);
    });
  }

  it('explains a chart or version that does not exist, and keeps to policy.allowedChartSources', async () => {
    useHelm(4);
    const missing = await env.callRaw('helm_show', { chart: 'kz-demo', repo: env.info.charts.repoUrl, version: '9.9.9' });
    expect(missing.isError).toBe(true);
    expect(missing.text).toMatch(/9\.9\.9/);
    const refused = await restricted.callRaw('helm_show', { chart: 'kz-demo', repo: env.info.charts.repoUrl });
    expect(refused.isError).toBe(true);
    expect(refused.text).toMatch(/repo: ".*" is not an allowed chart source/);
    expect(refused.text).toMatch(/policy\.allowedChartSources allows only: https:\/\/charts\.example\.com/);
    const flag = await env.callRaw('helm_show', { chart: '--kubeconfig=/etc/passwd' });
    expect(flag.text).toMatch(/chart: "--kubeconfig=\/etc\/passwd" is not a valid chart/);
  });
});
