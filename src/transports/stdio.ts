/**
 * MCP over stdio, for clients that start the server as their own child process (Claude Desktop,
 * Cursor, VS Code and most client configurations): one session on the process's stdin and stdout.
 *
 * The kernel, tools, policy, confirmations and audit are the ones HTTP serves; what differs is
 * only how the client is trusted. There is no bearer token and no listener: the parent process
 * owns both pipes, so nothing else can speak on them, and no port is opened that a web page or
 * another user could reach. Stdout carries the protocol and nothing else (logs go to stderr, as
 * they always do). The session ends when the client closes stdin; then the kernel is disposed.
 */
import type { Readable, Writable } from 'node:stream';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { Kernel } from '../kernel/kernel.js';
import type { Logger } from '../kernel/logger.js';

export interface StdioSession {
  /** Resolves once the client has gone (stdin closed) or close() was called, and everything is disposed. */
  closed: Promise<void>;
  close(): Promise<void>;
}

export async function serveStdio(
  kernel: Pick<Kernel, 'newSessionServer' | 'dispose'>,
  log: Logger,
  streams: { stdin: Readable; stdout: Writable } = { stdin: process.stdin, stdout: process.stdout },
): Promise<StdioSession> {
  const server = kernel.newSessionServer();
  const transport = new StdioServerTransport(streams.stdin, streams.stdout);
  let finish!: () => void;
  const ended = new Promise<void>((resolve) => {
    finish = resolve;
  });
  let closing: Promise<void> | undefined;
  const close = (why: string): Promise<void> => {
    closing ??= (async () => {
      log.info('stdio session ended', { why });
      await server.close().catch(() => undefined);
      await kernel.dispose();
      finish();
    })();
    return closing;
  };
  // The SDK's stdio transport does not notice end of input by itself: the client closing stdin is
  // how a child process is told to go.
  streams.stdin.once('end', () => void close('the client closed stdin'));
  // The session server has its own cleanup on close (subscriptions, list-changed listeners): keep it.
  const sessionCleanup = server.onclose;
  server.onclose = () => {
    sessionCleanup?.();
    void close('the transport closed');
  };
  await server.connect(transport);
  log.info('stdio session started');
  return { closed: ended, close: () => close('asked to close') };
}
