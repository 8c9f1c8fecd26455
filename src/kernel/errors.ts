/**
 * One catalogue of coded start-up and operator errors (what fastify does with its FST_ codes):
 * the CLI prints `code: message` and the hint, tests match on the code, never on prose.
 * Tool failures use ToolError (contract.ts) and surface as tool error results instead.
 */
export type KubezillaErrorCode =
  | 'SETTINGS_INVALID'
  | 'SETTINGS_UNREADABLE'
  | 'CONFIG_DIR_UNUSABLE'
  | 'TOKEN_UNREADABLE'
  | 'AUDIT_LOG_UNUSABLE'
  | 'MODULE_INVALID'
  | 'MODULE_DUPLICATE'
  | 'MODULE_LOAD_FAILED'
  | 'PROVIDER_MISSING'
  | 'PORT_IN_USE'
  | 'BIND_REFUSED'
  | 'LISTEN_FAILED'
  | 'BAD_FLAG'
  | 'IN_CLUSTER_UNAVAILABLE'
  | 'CONFIRMATION_KEY_UNUSABLE';

export class KubezillaError extends Error {
  constructor(
    readonly code: KubezillaErrorCode,
    message: string,
    readonly hint?: string,
  ) {
    super(message);
    this.name = 'KubezillaError';
  }

  /** One line for a terminal: the code, what went wrong, and what to do about it. */
  toLine(): string {
    if (!this.hint) return `${this.code}: ${this.message}`;
    return `${this.code}: ${this.message}${/[.!?:]$/.test(this.message) ? '' : '.'} ${this.hint}`;
  }
}
