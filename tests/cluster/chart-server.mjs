// A tiny static HTTP server for the fixture chart repository (index.yaml + packaged charts), loopback only.
// Run as a program: node chart-server.mjs <dir> <port>   (the harness starts it detached)
// Or import serveCharts(dir, port) to run it in-process.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const TYPES = { '.yaml': 'text/yaml; charset=utf-8', '.tgz': 'application/gzip', '.prov': 'text/plain' };

/** @param {string} dir @param {number} port @returns {Promise<import('node:http').Server>} */
export function serveCharts(dir, port) {
  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const name = basename(decodeURIComponent(url.pathname));
    if ((req.method !== 'GET' && req.method !== 'HEAD') || name === '' || name.startsWith('.')) {
      res.writeHead(404).end();
      return;
    }
    const file = join(dir, name);
    try {
      const st = await stat(file);
      if (!st.isFile()) throw new Error('not a file');
      const ext = name.slice(name.lastIndexOf('.'));
      res.writeHead(200, { 'content-type': TYPES[ext] ?? 'application/octet-stream', 'content-length': st.size });
      if (req.method === 'HEAD') return res.end();
      createReadStream(file).pipe(res);
    } catch {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const [dir, port] = process.argv.slice(2);
  if (!dir || !port) {
    console.error('usage: node chart-server.mjs <dir> <port>');
    process.exit(2);
  }
  serveCharts(dir, Number(port)).then(
    () => console.log(`chart-server: serving ${dir} on http://127.0.0.1:${port}`),
    (err) => {
      console.error(`chart-server: ${err.message}`);
      process.exit(1);
    },
  );
  process.on('SIGTERM', () => process.exit(0));
}
