/**
 * SSH bastions on the settings page: mark a context as reached through `user@host:port` (saved
 * as settings.json `tunnels[context]`, the format docs/ssh-tunnels.md describes), Test the
 * connection, and trust an unknown host key once the person has compared its fingerprint.
 *
 * Test and Trust take the form's fields as they are, so a bastion can be checked before it is
 * saved. Trust never replaces a changed or revoked key and never trusts a key other than the one
 * the person saw (bastion-probe.ts). The tunnel's live state (idle, connecting, connected,
 * degraded, failed) is in /api/clusters with each context.
 */
import type Router from '@koa/router';
import type Koa from 'koa';
import type { Logger } from '../kernel/logger.js';
import { probeBastion, TrustRefused, trustHostKey } from '../providers/cluster/bastion-probe.js';
import type { TunnelConfig } from '../providers/cluster/tunnel-config.js';
import type { SettingsControl } from './app.js';
import { FieldProblem, optionalString, readJsonBody, refuse, requiredString, saveSettings, withFieldChecks } from './http.js';

/** The bastion fields of a request, checked as the settings schema would (and the host shape). */
function bastionFields(input: Record<string, unknown>): TunnelConfig {
  const host = requiredString(input, 'host');
  if (!/^[A-Za-z0-9._:[\]-]{1,253}$/.test(host)) throw new FieldProblem('host', `"${host}" is not a host name or address`);
  const user = requiredString(input, 'user');
  if (/[\s@]/.test(user)) throw new FieldProblem('user', 'takes the user name alone (no spaces, no @)');
  let port: number | undefined;
  if (input.port !== undefined && input.port !== null && input.port !== '') {
    port = Number(input.port);
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new FieldProblem('port', 'must be a whole number from 1 to 65535');
  }
  const config: TunnelConfig = { host: host.replace(/^\[|\]$/g, ''), user };
  if (port !== undefined && port !== 22) config.port = port;
  const identityFile = optionalString(input, 'identityFile');
  const knownHostsFile = optionalString(input, 'knownHostsFile');
  const remoteServer = optionalString(input, 'remoteServer');
  if (identityFile) config.identityFile = identityFile;
  if (knownHostsFile) config.knownHostsFile = knownHostsFile;
  if (remoteServer) {
    if (!/^https?:\/\/\S+$/.test(remoteServer)) throw new FieldProblem('remoteServer', 'must be an https:// (or http://) URL');
    config.remoteServer = remoteServer;
  }
  return config;
}

export function registerTunnelRoutes(router: Router, control: SettingsControl, log: Logger): void {
  const answer = () => ({ tunnels: control.settings.get().tunnels });
  const probeOptions = () => ({ agentSocket: process.env.SSH_AUTH_SOCK });

  router.get('/api/tunnels', (ctx) => {
    ctx.body = answer();
  });

  router.post('/api/tunnels', async (ctx) => {
    const input = await readJsonBody(ctx);
    const parsed = await withFieldChecks(ctx, () => {
      const context = requiredString(input, 'context');
      const known = control.contexts().contexts.map((c) => c.name);
      if (!known.includes(context)) throw new FieldProblem('context', `no context is named "${context}"`);
      return { context, config: bastionFields(input) };
    });
    if (!parsed) return;
    const saved = saveSettings(ctx, control.settings, (s) => {
      s.tunnels[parsed.context] = parsed.config;
    });
    if (!saved) return;
    log.info('SSH tunnel saved from the settings page', { context: parsed.context, bastion: `${parsed.config.user}@${parsed.config.host}` });
    ctx.body = answer();
  });

  router.post('/api/tunnels/remove', async (ctx) => {
    const input = await readJsonBody(ctx);
    const context = await withFieldChecks(ctx, () => requiredString(input, 'context'));
    if (!context) return;
    const saved = saveSettings(ctx, control.settings, (s) => {
      if (!s.tunnels[context]) throw new FieldProblem('context', `context "${context}" has no SSH tunnel in the settings`);
      delete s.tunnels[context];
    });
    if (saved) ctx.body = answer();
  });

  const withBastion = async (ctx: Koa.Context, run: (config: TunnelConfig, input: Record<string, unknown>) => Promise<void>) => {
    const input = await readJsonBody(ctx);
    const config = await withFieldChecks(ctx, () => bastionFields(input));
    if (config) await run(config, input);
  };

  router.post('/api/tunnels/test', (ctx) =>
    withBastion(ctx, async (config) => {
      const { keyBlob: _blob, ...probe } = await probeBastion(config, probeOptions());
      ctx.body = { probe };
    }),
  );

  router.post('/api/tunnels/trust', (ctx) =>
    withBastion(ctx, async (config, input) => {
      const fingerprint = await withFieldChecks(ctx, () => {
        const value = requiredString(input, 'fingerprint');
        if (!/^SHA256:[A-Za-z0-9+/]{43}$/.test(value)) throw new FieldProblem('fingerprint', 'must be a SHA256:… fingerprint as Test connection showed it');
        return value;
      });
      if (!fingerprint) return;
      try {
        const { line, probe } = await trustHostKey(config, fingerprint, probeOptions());
        log.info('bastion host key trusted from the settings page', { bastion: probe.bastion, fingerprint, knownHostsFile: probe.knownHostsFile });
        ctx.body = { trusted: line, probe };
      } catch (err) {
        if (!(err instanceof TrustRefused)) throw err;
        log.warn('bastion host key not trusted', { bastion: err.probe.bastion, reason: err.message });
        refuse(ctx, err.message, [{ field: 'fingerprint', reason: err.message }], 409, { probe: err.probe });
      }
    }),
  );
}
