/**
 * Opening a port, shared by the MCP listener and the settings page: one place that turns the
 * socket errors a person meets (port taken, address not on this machine) into one clear line.
 */
import type { Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubezillaError } from '../kernel/errors.js';
import { unbracketed } from './guards.js';

export interface ListenWhat {
  /** What is listening, for the message: "MCP server", "settings page". */
  name: string;
  /** The flag that changes the port, for the hint: "--port", "--ui-port". */
  portFlag: string;
}

/** Listens on `bind`:`port` (IPv6 brackets allowed) and resolves with the port actually bound. */
export async function listenOn(http: HttpServer, bind: string, port: number, what: ListenWhat): Promise<number> {
  try {
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      http.listen(port, unbracketed(bind), () => {
        http.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw code === 'EADDRINUSE'
      ? new KubezillaError(
          'PORT_IN_USE',
          `${what.name} port ${port} on ${bind} is already in use`,
          `Stop the other process (another kubezilla-mcp?) or choose another port (${what.portFlag}).`,
        )
      : new KubezillaError(
          'LISTEN_FAILED',
          `cannot start the ${what.name} on ${bind}:${port}: ${code ?? (err as Error).message}`,
          'Check the bind address and port.',
        );
  }
  return (http.address() as AddressInfo).port;
}
