import type { Server } from 'node:http';
/** Serves the files of `dir` (flat: index.yaml and chart packages) on http://127.0.0.1:`port`. */
export function serveCharts(dir: string, port: number): Promise<Server>;
