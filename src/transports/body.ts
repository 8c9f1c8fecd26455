/**
 * A request body as text, for both listeners (MCP and the settings page): at most `limit` bytes
 * (raw-body answers 413 beyond it, before buffering the excess), decoded as UTF-8 whole.
 *
 * Bytes, not raw-body's `encoding` option: that loads iconv-lite's whole table of encodings on
 * the first request, to decode UTF-8, which Buffer does the same way. A leading byte-order mark
 * is dropped, as iconv-lite did, so such a JSON body still parses.
 */
import type { IncomingMessage } from 'node:http';
import getRawBody from 'raw-body';

export async function readBodyText(req: IncomingMessage, options: { limit: number; length?: string | undefined }): Promise<string> {
  const text = (await getRawBody(req, { limit: options.limit, ...(options.length ? { length: options.length } : {}) })).toString('utf8');
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}
