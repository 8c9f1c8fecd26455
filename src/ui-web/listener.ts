/**
 * The settings page's own HTTP listener, separate from MCP's so the page stays reachable while
 * MCP is off. Default address: settings.ui (127.0.0.1:7330), overridable per run (`--ui-bind`,
 * `--ui-port`; port 0 = any free port). It only ever binds a loopback address: the page can turn
 * MCP on and hand out the token, so it must not be reachable from the network.
 */
import { createServer, type Server as HttpServer } from 'node:http';
import { KubezillaError } from '../kernel/errors.js';
import type { Logger } from '../kernel/logger.js';
import { bracketed, isLoopbackAddress } from '../transports/guards.js';
import { listenOn } from '../transports/http-listen.js';
import { createSettingsApp, newCsrfToken, type SettingsControl } from './app.js';

export type SettingsPageStatus = { state: 'stopped' } | { state: 'running'; url: string; bind: string; port: number } | { state: 'error'; error: string };

export interface SettingsPageAddress {
  bind?: string | undefined;
  port?: number | undefined;
}

export class SettingsPage {
  #http: HttpServer | undefined;
  #status: SettingsPageStatus = { state: 'stopped' };
  readonly #csrfToken = newCsrfToken();

  constructor(
    private readonly control: SettingsControl,
    private readonly log: Logger,
  ) {}

  status(): SettingsPageStatus {
    return this.#status;
  }

  /** Listens on the saved address with `overrides` on top; records and throws a KubezillaError on failure. */
  async start(overrides: SettingsPageAddress = {}): Promise<SettingsPageStatus & { state: 'running' }> {
    if (this.#http) await this.stop();
    const saved = this.control.settings.get().ui;
    const bind = overrides.bind ?? saved.bind;
    const port = overrides.port ?? saved.port;
    const fail = (error: KubezillaError): never => {
      this.#status = { state: 'error', error: error.toLine() };
      throw error;
    };
    if (!isLoopbackAddress(bind)) {
      fail(
        new KubezillaError(
          'BIND_REFUSED',
          `refusing to serve the settings page on ${bind}: it is not a loopback address`,
          'The page can enable MCP and reveal the token; use 127.0.0.1, ::1 or localhost.',
        ),
      );
    }
    const app = createSettingsApp({ control: this.control, log: this.log, csrfToken: this.#csrfToken });
    const http = createServer(app.callback());
    http.headersTimeout = 30_000;
    http.requestTimeout = 60_000;
    let actualPort: number;
    try {
      actualPort = await listenOn(http, bind, port, { name: 'settings page', portFlag: '--ui-port' });
    } catch (error) {
      return fail(error as KubezillaError);
    }
    this.#http = http;
    const status = { state: 'running' as const, url: `http://${bracketed(bind)}:${actualPort}/`, bind, port: actualPort };
    this.#status = status;
    this.log.info('settings page listening', { url: status.url });
    return status;
  }

  async stop(): Promise<void> {
    const http = this.#http;
    this.#http = undefined;
    this.#status = { state: 'stopped' };
    if (!http) return;
    await new Promise<void>((resolve) => {
      http.close(() => resolve());
      http.closeAllConnections();
    });
  }
}
