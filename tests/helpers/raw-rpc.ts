/**
 * JSON-RPC over HTTP as raw text, for requests no SDK client would send (no params, a lone
 * surrogate, 100,000-deep nesting): one session per `RawSession`, answers read from a JSON body
 * or an SSE stream.
 *
 *   const raw = await RawSession.open(server.url, server.token);
 *   const { status, message } = await raw.send('{"jsonrpc":"2.0","id":1,"method":"tools/call"}');
 */
export interface RawAnswer {
  status: number;
  /** The JSON-RPC response (the one with an id), or the body of a non-JSON-RPC answer. */
  message: any;
  sessionId: string | null;
}

/** `signal` hangs up: the connection closes mid-answer, as when a client is killed (no notifications/cancelled). */
export async function postRaw(url: string, token: string, body: string, sessionId?: string, signal?: AbortSignal): Promise<RawAnswer> {
  const res = await fetch(url, {
    method: 'POST',
    signal,
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      ...(sessionId ? { 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-11-25' } : {}),
    },
    body,
  });
  const text = await res.text();
  let message: unknown;
  if ((res.headers.get('content-type') ?? '').includes('text/event-stream')) {
    message = text
      .split('\n')
      .filter((l) => l.startsWith('data: '))
      .map((l) => JSON.parse(l.slice(6)))
      .find((m) => m && 'id' in m);
  } else {
    try {
      message = text ? JSON.parse(text) : undefined;
    } catch {
      message = text;
    }
  }
  return { status: res.status, message, sessionId: res.headers.get('mcp-session-id') };
}

export class RawSession {
  #nextId = 1000;
  private constructor(
    readonly url: string,
    readonly token: string,
    readonly sessionId: string,
  ) {}

  static async open(url: string, token: string): Promise<RawSession> {
    const init = await postRaw(
      url,
      token,
      JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
      }),
    );
    if (!init.sessionId) throw new Error(`initialize failed: ${init.status} ${JSON.stringify(init.message)}`);
    await postRaw(url, token, JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }), init.sessionId);
    return new RawSession(url, token, init.sessionId);
  }

  /** A body exactly as given. */
  send(body: string, signal?: AbortSignal): Promise<RawAnswer> {
    return postRaw(this.url, this.token, body, this.sessionId, signal);
  }

  /** tools/call with these params (serialised as they are, whatever they are); `signal` hangs up. */
  callTool(params: unknown, signal?: AbortSignal): Promise<RawAnswer> {
    return this.send(JSON.stringify({ jsonrpc: '2.0', id: this.#nextId++, method: 'tools/call', ...(params === undefined ? {} : { params }) }), signal);
  }

  nextId(): number {
    return this.#nextId++;
  }
}
