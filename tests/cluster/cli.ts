// npm run cluster:up | cluster:down   (tsx tests/cluster/cli.ts up|down|env|status)
//   up      start the local test cluster (or reuse the running one); prints the kubeconfig path last
//   down    stop every process `up` started and remove its state
//   env     print shell exports for the running cluster (eval "$(npx tsx tests/cluster/cli.ts env)")
//   status  show the cluster's processes and their logs
import { clusterInfo, defaultInfoPath, down, HarnessError, status, up } from './harness.js';

async function main(cmd: string | undefined): Promise<number> {
  switch (cmd) {
    case 'up': {
      const info = await up();
      process.stderr.write(
        `cluster: contexts ${Object.values(info.contexts).filter(Boolean).join(', ')}; ` +
          `API server ${info.apiServer?.url}; info in ${defaultInfoPath()}\n` +
          `cluster: use it with: export KUBECONFIG=${info.kubeconfig}\n`,
      );
      process.stdout.write(`${info.kubeconfig}\n`);
      return 0;
    }
    case 'down': {
      const was = await down();
      process.stderr.write(was ? 'cluster: stopped and removed\n' : 'cluster: nothing was running\n');
      return 0;
    }
    case 'env': {
      const info = clusterInfo(defaultInfoPath());
      const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
      process.stdout.write(
        [
          `export KUBECONFIG=${q(info.kubeconfig)}`,
          `export KUBEZILLA_TEST_KUBECONFIG_PATH=${q(info.kubeconfig)}`,
          `export KUBEZILLA_TEST_CLUSTER_INFO=${q(defaultInfoPath())}`,
          `export KUBEZILLA_KUBECTL=${q(info.tools.kubectl)}`,
          `export KUBEZILLA_HELM3=${q(info.tools.helm3)}`,
          `export KUBEZILLA_HELM4=${q(info.tools.helm4)}`,
        ].join('\n') + '\n',
      );
      return 0;
    }
    case 'status': {
      const s = await status();
      process.stdout.write(`running: ${s.running}\n`);
      for (const d of s.daemons) process.stdout.write(`${d.alive ? 'up  ' : 'DOWN'} ${d.name.padEnd(24)} pid ${d.pid}  ${d.log}\n`);
      return s.running ? 0 : 1;
    }
    default:
      process.stderr.write('usage: tsx tests/cluster/cli.ts up|down|env|status\n');
      return 2;
  }
}

main(process.argv[2]).then(
  (code) => process.exit(code),
  (err: unknown) => {
    const msg = err instanceof HarnessError || err instanceof Error ? err.message : String(err);
    process.stderr.write(`cluster: ERROR: ${msg}\n`);
    process.exit(1);
  },
);
