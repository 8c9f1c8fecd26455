#!/usr/bin/env node
/**
 * kubezilla-mcp serve | stdio | token | status. Every failure is one line naming what was wrong and how to
 * fix it, with a non-zero exit; the token is printed only by `token` without flags.
 */
import { accessSync, constants } from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { KubezillaError } from './kernel/errors.js';
import { CLASS_SCOPES } from './kernel/policy.js';
import type { OAuthOptions } from './transports/oauth.js';
import { createLogger, type LogLevel } from './kernel/logger.js';
import { SERVER_VERSION } from './kernel/mcp-server.js';
import { defaultConfigDir, ensurePrivateDir } from './providers/config/config-dir.js';
import { SettingsStore } from './providers/config/settings.js';
import { TokenStore } from './providers/config/tokens.js';
import { readConfirmationKey } from './providers/config/confirmation-key.js';
import { composeKernel } from './compose.js';
import { inClusterConfig } from './providers/cluster/in-cluster.js';
import { KubezillaServer, type ServerOptions } from './server.js';
import { serveStdio } from './transports/stdio.js';
import { mcpUrl } from './transports/listener.js';

const HELP = `kubezilla-mcp ${SERVER_VERSION}: Kubernetes operations as MCP tools over Streamable HTTP.

Usage:
  kubezilla-mcp serve [options]    Run the server (MCP when enabled, and the settings page).
  kubezilla-mcp stdio [options]    One MCP session on stdin/stdout, for a client that starts the
                                   server itself (no token, no port, no settings page); takes
                                   --config-dir, --kubeconfig, --tools-dir, --enable-destructive
                                   and --log-level.
  kubezilla-mcp token [--fingerprint | --regenerate]
                                   Print the bearer token, its fingerprint, or replace it.
  kubezilla-mcp status             Show the settings and whether the MCP server answers.
  kubezilla-mcp --help | --version

serve options:
  --enable               Turn the MCP server on (remembered in settings.json).
  --bind ADDR            MCP bind address for this run (default 127.0.0.1).
  --port N               MCP port for this run (default 7331; 0 = any free port).
  --allow-non-loopback   Permit a non-loopback --bind; exposes your clusters to the network.
  --ui-bind ADDR         Settings page bind address, loopback only (default 127.0.0.1).
  --ui-port N            Settings page port (default 7330; 0 = any free port).
  --kubeconfig PATH      Extra kubeconfig file (repeatable), on top of KUBECONFIG or ~/.kube/config.
  --tools-dir DIR        Extra directory of tool modules (repeatable).
  --enable-destructive   Offer the destructive tools (delete, drain, helm uninstall, ...) for this
                         run; each call still asks the person. Not remembered.
  --log-level LEVEL      debug | info | warn | error (default info).

serve options for team mode (people sign in; see docs/team-mode.md):
  --oauth-issuer URL     Accept OAuth access tokens (JWTs) from this issuer instead of the static
                         token; needs --resource-url and --impersonate or --token-passthrough.
  --resource-url URL     This server's own URL as clients reach it (https://host/mcp): the
                         audience tokens must be for, and where clients read how to sign in.
  --oauth-audience AUD   Accept this audience instead of the resource URL.
  --oauth-ca FILE        PEM CA for the issuer's TLS certificate (default: the system's).
  --scope-claim NAME     Claim holding the granted scopes (default scope).
  --default-scopes LIST  Scopes for tokens that carry no scope claim, comma-separated
                         (kubezilla:read,kubezilla:write,kubezilla:destructive; default none).
  --impersonate          Call clusters as each person (Impersonate-User/-Group headers).
  --user-claim NAME      Claim naming the person (default sub).
  --groups-claim NAME    Claim listing the person's groups (default groups).
  --identity-prefix P    Put before user and group names when impersonating (default oidc:).
  --token-passthrough    Call clusters with the person's own token (the API server trusts the issuer).
serve options for a team deployment (the Helm chart sets them; docs/team-mode.md):
  --in-cluster           Add the pod's own cluster as context "in-cluster" (current): the
                         ServiceAccount token and CA, KUBERNETES_SERVICE_HOST/PORT.
  --stateless            MCP without sessions, so any replica behind one Service answers any
                         request (no GET stream, no elicitation: confirmations use signed tokens).
  --confirmation-key-file PATH
                         The key replicas share to sign confirmation tokens (the chart's Secret).
  --metrics-port N       Serve Prometheus /metrics on this port (off unless given).
  --metrics-bind ADDR    Its bind address (default 127.0.0.1).
  --audit-stdout         Also write every audit entry to stdout as a JSON line.

Common options:
  --config-dir DIR       Where mcp.token and settings.json live
                         (default ~/.config/KubezillaDesktop, or KUBEZILLA_CONFIG_DIR).
`;

const OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
  'config-dir': { type: 'string' },
  enable: { type: 'boolean' },
  bind: { type: 'string' },
  port: { type: 'string' },
  'allow-non-loopback': { type: 'boolean' },
  'ui-bind': { type: 'string' },
  'ui-port': { type: 'string' },
  kubeconfig: { type: 'string', multiple: true },
  'tools-dir': { type: 'string', multiple: true },
  'enable-destructive': { type: 'boolean' },
  'log-level': { type: 'string' },
  'oauth-issuer': { type: 'string' },
  'resource-url': { type: 'string' },
  'oauth-audience': { type: 'string' },
  'oauth-ca': { type: 'string' },
  'scope-claim': { type: 'string' },
  'default-scopes': { type: 'string' },
  impersonate: { type: 'boolean' },
  'user-claim': { type: 'string' },
  'groups-claim': { type: 'string' },
  'identity-prefix': { type: 'string' },
  'token-passthrough': { type: 'boolean' },
  'in-cluster': { type: 'boolean' },
  stateless: { type: 'boolean' },
  'confirmation-key-file': { type: 'string' },
  'metrics-port': { type: 'string' },
  'metrics-bind': { type: 'string' },
  'audit-stdout': { type: 'boolean' },
  fingerprint: { type: 'boolean' },
  regenerate: { type: 'boolean' },
} satisfies ParseArgsConfig['options'];

/** The flags of team mode's sign-in; every one but --oauth-issuer needs it. */
const TEAM_FLAGS = [
  'oauth-issuer',
  'resource-url',
  'oauth-audience',
  'oauth-ca',
  'scope-claim',
  'default-scopes',
  'impersonate',
  'user-claim',
  'groups-claim',
  'identity-prefix',
  'token-passthrough',
] as const;

const COMMAND_FLAGS: Record<string, readonly string[]> = {
  serve: [
    ...['config-dir', 'enable', 'bind', 'port', 'allow-non-loopback', 'ui-bind', 'ui-port', 'kubeconfig', 'tools-dir', 'enable-destructive', 'log-level'],
    ...TEAM_FLAGS,
    ...['in-cluster', 'stateless', 'confirmation-key-file', 'metrics-port', 'metrics-bind', 'audit-stdout'],
  ],
  token: ['config-dir', 'fingerprint', 'regenerate'],
  status: ['config-dir'],
  stdio: ['config-dir', 'kubeconfig', 'tools-dir', 'enable-destructive', 'log-level'],
};

type Values = ReturnType<typeof parse>['values'];

function parse(argv: string[]) {
  try {
    return parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    throw new KubezillaError('BAD_FLAG', (err as Error).message.split('\n')[0]!, 'Run `kubezilla-mcp --help` for the options.');
  }
}

function port(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 65535) {
    throw new KubezillaError('BAD_FLAG', `--${flag} must be a port number from 0 to 65535 (got "${value}")`);
  }
  return n;
}

function configDir(values: Values): string {
  const dir = values['config-dir'] ?? defaultConfigDir();
  try {
    ensurePrivateDir(dir);
    accessSync(dir, constants.R_OK | constants.W_OK | constants.X_OK);
  } catch (err) {
    if (err instanceof KubezillaError) throw err; // already names the directory and the fix
    throw new KubezillaError(
      'CONFIG_DIR_UNUSABLE',
      `config directory ${dir} is not usable: ${(err as NodeJS.ErrnoException).code}`,
      'Fix its permissions or choose another with --config-dir.',
    );
  }
  return dir;
}

/** Team mode's sign-in from the flags, or undefined for laptop mode; a flag that cannot work stops the start. */
function oauthOptions(values: Values): OAuthOptions | undefined {
  const issuer = values['oauth-issuer'];
  if (issuer === undefined) {
    const stray = TEAM_FLAGS.find((flag) => values[flag] !== undefined);
    if (stray) throw new KubezillaError('BAD_FLAG', `--${stray} needs --oauth-issuer (team mode)`, 'See docs/team-mode.md.');
    return undefined;
  }
  const resource = values['resource-url'];
  if (!resource) {
    throw new KubezillaError(
      'BAD_FLAG',
      '--oauth-issuer needs --resource-url: the URL clients reach this server at (https://host/mcp)',
      'Tokens must be issued for it.',
    );
  }
  if (Boolean(values.impersonate) === Boolean(values['token-passthrough'])) {
    throw new KubezillaError(
      'BAD_FLAG',
      'team mode needs exactly one of --impersonate (call clusters as each person) and --token-passthrough (with their own token)',
      'Use --impersonate unless the API servers trust the same issuer.',
    );
  }
  if (values['token-passthrough'] && (values['user-claim'] || values['groups-claim'] || values['identity-prefix'] !== undefined)) {
    throw new KubezillaError(
      'BAD_FLAG',
      '--user-claim, --groups-claim and --identity-prefix apply to --impersonate only',
      'With --token-passthrough the API server reads the token itself.',
    );
  }
  const known = Object.values(CLASS_SCOPES);
  const defaultScopes = (values['default-scopes'] ?? '').split(/[\s,]+/).filter(Boolean);
  const unknown = defaultScopes.find((s) => !known.includes(s));
  if (unknown) throw new KubezillaError('BAD_FLAG', `--default-scopes: "${unknown}" is not one of ${known.join(', ')}`);
  return {
    issuer,
    resource,
    audience: values['oauth-audience'],
    caFile: values['oauth-ca'],
    scopeClaim: values['scope-claim'],
    defaultScopes,
    acting: values.impersonate ? 'impersonate' : 'token',
    userClaim: values['user-claim'],
    groupsClaim: values['groups-claim'],
    identityPrefix: values['identity-prefix'],
  };
}

function logLevel(values: Values): LogLevel {
  const level = (values['log-level'] ?? 'info') as LogLevel;
  if (!['debug', 'info', 'warn', 'error'].includes(level)) {
    throw new KubezillaError('BAD_FLAG', `--log-level must be debug, info, warn or error (got "${level}")`);
  }
  return level;
}

/** One session on stdin/stdout until the client closes stdin; the same settings, policy and audit as serve. */
async function stdio(values: Values): Promise<void> {
  const log = createLogger({ level: logLevel(values) });
  const { kernel } = await composeKernel(
    {
      configDir: configDir(values),
      kubeconfigPaths: values.kubeconfig ?? [],
      toolDirs: values['tools-dir'] ?? [],
      enableDestructive: values['enable-destructive'] ?? false,
    },
    log,
  );
  const session = await serveStdio(kernel, log);
  const stop = () => void session.close();
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  await session.closed;
  // Disposed: nothing is left to do. Whatever handle a library still holds must not keep a
  // process its client has let go of alive (the timer itself does not keep it running).
  setTimeout(() => process.exit(0), 1000).unref();
}

/** The team deployment's flags (all off on a laptop). */
async function teamOptions(values: Values): Promise<Pick<ServerOptions, 'team' | 'stateless' | 'metricsAddress'>> {
  const metricsPort = port(values['metrics-port'], 'metrics-port');
  if (values['metrics-bind'] !== undefined && metricsPort === undefined) throw new KubezillaError('BAD_FLAG', '--metrics-bind needs --metrics-port');
  const confirmationKey = values['confirmation-key-file'] === undefined ? undefined : readConfirmationKey(values['confirmation-key-file']);
  return {
    stateless: values.stateless ?? false,
    ...(metricsPort === undefined ? {} : { metricsAddress: { bind: values['metrics-bind'] ?? '127.0.0.1', port: metricsPort } }),
    team: {
      ...(values['in-cluster'] ? { inCluster: inClusterConfig() } : {}),
      auditStdout: values['audit-stdout'] ?? false,
      // prom-client is loaded only for --metrics-port: a laptop start does not pay for it.
      ...(metricsPort === undefined ? {} : { metrics: new (await import('./kernel/metrics.js')).Metrics() }),
      ...(confirmationKey ? { confirmationKey } : {}),
    },
  };
}

async function serve(values: Values): Promise<void> {
  const log = createLogger({ level: logLevel(values) });
  const ui = { bind: values['ui-bind'], port: port(values['ui-port'], 'ui-port') };
  const oauth = oauthOptions(values);
  if (values.stateless && values['confirmation-key-file'] === undefined) {
    log.warn('--stateless without --confirmation-key-file: a confirmation token is honoured only by the replica that issued it');
  }
  const server = await KubezillaServer.create(
    {
      oauth,
      configDir: configDir(values),
      kubeconfigPaths: values.kubeconfig ?? [],
      toolDirs: values['tools-dir'] ?? [],
      enableDestructive: values['enable-destructive'] ?? false,
      enable: values.enable ?? false,
      ...(await teamOptions(values)),
      mcp: {
        bind: values.bind,
        port: port(values.port, 'port'),
        allowNonLoopback: values['allow-non-loopback'],
      },
    },
    log,
  );
  await server.start();
  // Signals are handled before anything is printed: a supervisor may stop the server as soon as
  // it reads the first line, and a signal with no handler would end it without closing anything.
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info('shutting down', { signal });
    void server.close().then(() => process.exit(0));
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  const mcp = server.listener.status();
  const signIn =
    oauth && `team mode: people sign in with ${oauth.issuer}; calls act as each of them (${oauth.acting === 'token' ? 'their own token' : 'impersonation'})`;
  process.stdout.write(
    mcp.state === 'running'
      ? `MCP server running on ${mcp.url} (${signIn ?? `token ${server.tokens.fingerprint()}, file ${server.tokens.file}`})\n`
      : 'MCP server is disabled; enable it on the settings page or run `kubezilla-mcp serve --enable`.\n',
  );
  try {
    const page = await server.page.start(ui);
    process.stdout.write(`Settings page on ${page.url}\n`);
  } catch (err) {
    // MCP keeps working without the page (e.g. a second instance holding its port).
    const line = err instanceof KubezillaError ? err.toLine() : (err as Error).message;
    process.stderr.write(`kubezilla-mcp: settings page not started: ${line}\n`);
  }
}

function token(values: Values): void {
  const tokens = new TokenStore(configDir(values));
  if (values.regenerate) {
    tokens.regenerate();
    process.stdout.write(
      `New token written to ${tokens.file} (${tokens.fingerprint()}). Sessions using the old one are refused; ` +
        're-register clients (`kubezilla-mcp token` prints it).\n',
    );
  } else if (values.fingerprint) {
    const fp = tokens.fingerprint();
    if (!fp)
      throw new KubezillaError(
        'TOKEN_UNREADABLE',
        `no token yet in ${tokens.file}`,
        'It is created when MCP is first enabled (`kubezilla-mcp serve --enable`).',
      );
    process.stdout.write(`${fp}\n`);
  } else {
    process.stdout.write(`${tokens.ensure()}\n`);
  }
}

async function status(values: Values): Promise<number> {
  const dir = configDir(values);
  const settings = new SettingsStore(dir).get();
  const tokens = new TokenStore(dir);
  const fp = tokens.fingerprint();
  const url = mcpUrl(settings.mcp.bind, settings.mcp.port);
  process.stdout.write(`config:   ${dir}\n`);
  process.stdout.write(`token:    ${fp ?? 'none yet (created when MCP is first enabled)'}\n`);
  process.stdout.write(`mcp:      ${settings.mcp.enabled ? 'enabled' : 'disabled'} in settings, ${url}\n`);
  const { enabledClasses, destructiveTools } = settings.policy;
  const destructive = enabledClasses.includes('destructive') ? (destructiveTools.length ? ` (only ${destructiveTools.join(', ')})` : '') : '; destructive off';
  process.stdout.write(`tools:    ${enabledClasses.join(', ')}${destructive}\n`);
  if (!fp) return settings.mcp.enabled ? 1 : 0;
  const answer = await probe(url, tokens.ensure());
  process.stdout.write(`server:   ${answer}\n`);
  return answer.startsWith('answering') ? 0 : 1;
}

/** An authenticated initialize, then DELETE of the session it opened: proves the whole path. */
async function probe(url: string, bearer: string): Promise<string> {
  const headers = {
    authorization: `Bearer ${bearer}`,
    accept: 'application/json, text/event-stream',
    'content-type': 'application/json',
  };
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers,
      signal: AbortSignal.timeout(3000),
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 0,
        method: 'initialize',
        params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'kubezilla-mcp status', version: SERVER_VERSION } },
      }),
    });
    const session = response.headers.get('mcp-session-id');
    await response.body?.cancel();
    if (session) await fetch(url, { method: 'DELETE', headers: { ...headers, 'mcp-session-id': session } }).catch(() => undefined);
    if (response.status === 200) return 'answering (initialize 200)';
    if (response.status === 401) return 'answering, but refused this token (401): another config dir or a regenerated token?';
    return `answered HTTP ${response.status}`;
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).name;
    return `not reachable (${cause}): the MCP server is not running there`;
  }
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv);
  if (values.version) {
    process.stdout.write(`${SERVER_VERSION}\n`);
    return 0;
  }
  const command = positionals[0];
  if (values.help || !command) {
    process.stdout.write(HELP);
    return command || values.help ? 0 : 2;
  }
  const allowed = COMMAND_FLAGS[command];
  if (!allowed) throw new KubezillaError('BAD_FLAG', `unknown command "${command}"`, 'Use serve, stdio, token or status (see --help).');
  if (positionals.length > 1) throw new KubezillaError('BAD_FLAG', `unexpected argument "${positionals[1]}"`);
  for (const flag of Object.keys(values)) {
    if (!allowed.includes(flag)) throw new KubezillaError('BAD_FLAG', `--${flag} does not apply to "${command}"`, 'See --help.');
  }
  if (command === 'serve') {
    await serve(values);
    return -1; // keeps running until a signal
  }
  if (command === 'stdio') {
    await stdio(values);
    return 0;
  }
  if (command === 'token') {
    token(values);
    return 0;
  }
  return status(values);
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (err: unknown) => {
    const line = err instanceof KubezillaError ? err.toLine() : `error: ${(err as Error)?.message ?? String(err)}`;
    process.stderr.write(`kubezilla-mcp: ${line}\n`);
    process.exitCode = 1;
  },
);
