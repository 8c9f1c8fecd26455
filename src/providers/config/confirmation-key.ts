/**
 * The key stateless replicas share to sign confirmation tokens (`--confirmation-key-file`; the
 * Helm chart keeps it in a Secret it creates once and mounts into every replica). Read once at
 * start-up: a replica that read another key would refuse its peers' tokens, so a rotated Secret
 * takes effect with the rollout that restarts them all. The key is registered with the log
 * scrubber and never shown.
 */
import { readFileSync } from 'node:fs';
import { MIN_CONFIRMATION_KEY_BYTES } from '../../kernel/confirmations.js';
import { KubezillaError } from '../../kernel/errors.js';
import { registerSecret } from '../../kernel/logger.js';

export function readConfirmationKey(file: string): Buffer {
  let text: string;
  try {
    text = readFileSync(file, 'utf8').trim();
  } catch (err) {
    throw new KubezillaError(
      'CONFIRMATION_KEY_UNUSABLE',
      `cannot read the confirmation key ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      'Mount the Secret holding it (the chart does) or fix the path given to --confirmation-key-file.',
    );
  }
  if (Buffer.byteLength(text) < MIN_CONFIRMATION_KEY_BYTES) {
    throw new KubezillaError(
      'CONFIRMATION_KEY_UNUSABLE',
      `the confirmation key in ${file} is shorter than ${MIN_CONFIRMATION_KEY_BYTES} bytes`,
      'Write a longer random key, e.g. `openssl rand -base64 48`.',
    );
  }
  registerSecret(text);
  return Buffer.from(text);
}
