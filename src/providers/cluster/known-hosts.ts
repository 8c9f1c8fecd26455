/**
 * known_hosts, as OpenSSH reads it: plain, wildcard, negated, `[host]:port` and hashed
 * `|1|salt|hash` host patterns, `@revoked` honoured, `@cert-authority` lines skipped.
 * An unknown host is refused with its SHA256 fingerprint and the exact line
 * to add; a changed key is refused hard. There is no option to accept any key.
 * Ours because ssh2 hands over only the key and reads no known_hosts; the rules are OpenSSH's.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export interface KnownHostEntry {
  marker?: 'cert-authority' | 'revoked';
  patterns: string;
  keyType: string;
  /** base64 key blob */
  key: string;
  line: number;
}

export function parseKnownHosts(text: string): KnownHostEntry[] {
  const out: KnownHostEntry[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const fields = line.split(/\s+/);
    let marker: KnownHostEntry['marker'];
    if (fields[0]?.startsWith('@')) {
      const m = fields.shift()!.slice(1);
      if (m !== 'cert-authority' && m !== 'revoked') return;
      marker = m;
    }
    const [patterns, keyType, key] = fields;
    if (!patterns || !keyType || !key) return;
    out.push({ ...(marker ? { marker } : {}), patterns, keyType, key, line: index + 1 });
  });
  return out;
}

/** The name OpenSSH looks up: `host` on port 22, `[host]:port` otherwise. */
export function knownHostsName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

function globToRegExp(glob: string): RegExp {
  const escaped = glob
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${escaped}$`, 'i');
}

/** Whether a known_hosts host field matches this host and port (OpenSSH semantics). */
export function hostMatches(patterns: string, host: string, port: number): boolean {
  const name = knownHostsName(host, port);
  if (patterns.startsWith('|1|')) {
    const [, , salt, hash] = patterns.split('|');
    if (!salt || !hash) return false;
    const digest = createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest();
    const expected = Buffer.from(hash, 'base64');
    return expected.length === digest.length && timingSafeEqual(expected, digest);
  }
  let matched = false;
  for (const part of patterns.split(',')) {
    const negated = part.startsWith('!');
    const pattern = negated ? part.slice(1) : part;
    if (globToRegExp(pattern).test(name)) {
      if (negated) return false;
      matched = true;
    }
  }
  return matched;
}

export function fingerprintOf(keyBlob: Buffer): string {
  return 'SHA256:' + createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '');
}

/** The key type written inside an SSH public key blob (`ssh-ed25519`, `ssh-rsa`, ...). */
export function keyTypeOf(keyBlob: Buffer): string {
  if (keyBlob.length < 4) return 'unknown';
  const len = keyBlob.readUInt32BE(0);
  return keyBlob.subarray(4, 4 + len).toString('ascii');
}

export type HostKeyVerdict =
  | { ok: true; line: number }
  | { ok: false; kind: 'host-key-unknown' | 'host-key-changed' | 'host-key-revoked'; fingerprint: string; message: string; hint: string };

export function checkHostKey(entries: KnownHostEntry[], knownHostsFile: string, host: string, port: number, keyBlob: Buffer): HostKeyVerdict {
  const fingerprint = fingerprintOf(keyBlob);
  const keyType = keyTypeOf(keyBlob);
  const blob = keyBlob.toString('base64');
  const name = knownHostsName(host, port);
  const lineToAdd = `${name} ${keyType} ${blob}`;
  const forHost = entries.filter((e) => e.marker !== 'cert-authority' && hostMatches(e.patterns, host, port));
  const revoked = entries.find((e) => e.marker === 'revoked' && e.key === blob);
  if (revoked) {
    return {
      ok: false,
      kind: 'host-key-revoked',
      fingerprint,
      message: `bastion ${name} presented the ${keyType} key ${fingerprint}, which ${knownHostsFile}:${revoked.line} marks @revoked; connection refused`,
      hint: 'Ask the bastion owner which key is current; do not remove the @revoked line.',
    };
  }
  const same = forHost.find((e) => e.marker === undefined && e.key === blob);
  if (same) return { ok: true, line: same.line };
  const known = forHost.filter((e) => e.marker === undefined);
  if (known.length > 0) {
    const where = known.map((e) => `${knownHostsFile}:${e.line} (${e.keyType})`).join(', ');
    return {
      ok: false,
      kind: 'host-key-changed',
      fingerprint,
      message: `HOST KEY CHANGED for bastion ${name}: it presented ${keyType} ${fingerprint}, which does not match ${where}. Someone may be intercepting the connection; refused`,
      hint: `Verify the new fingerprint with the bastion's owner out of band. Only if it is legitimate, remove the old entry (ssh-keygen -R '${name}' -f ${knownHostsFile}) and add: ${lineToAdd}`,
    };
  }
  return {
    ok: false,
    kind: 'host-key-unknown',
    fingerprint,
    message: `bastion ${name} is not in ${knownHostsFile}; it presented ${keyType} ${fingerprint}; refused`,
    hint: `Check that fingerprint with the bastion's owner (ssh-keygen -lf /etc/ssh/ssh_host_${keyType.replace(/^ssh-|-.*$/g, '')}_key.pub on the bastion), then add this line to ${knownHostsFile}: ${lineToAdd}`,
  };
}

/** Host-key algorithms ssh2 can verify. */
const SUPPORTED_HOST_KEY_ALGORITHMS = new Set([
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'rsa-sha2-512',
  'rsa-sha2-256',
  'ssh-rsa',
  'ssh-dss',
]);

/** ssh2 host-key algorithm names accepted for a known_hosts key type. */
export function algorithmsFor(keyType: string): string[] {
  const names = keyType === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : [keyType];
  return names.filter((n) => SUPPORTED_HOST_KEY_ALGORITHMS.has(n));
}
