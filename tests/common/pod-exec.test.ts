/**
 * The exec stream's pieces that do not need a cluster: reading the exit code from both forms of the
 * closing Status (a kubelet's NonZeroExitCode cause, KWOK's "exit status N" text), the exec path's
 * query (argv order kept, stdin only when sent), and the output buffers' kept bytes.
 */
import { describe, expect, it } from 'vitest';
import { execPath, exitCodeOf, OutputBuffer } from '../../src/tools/common/pod-exec.js';

describe('exitCodeOf', () => {
  it("reads Success, a NonZeroExitCode cause and KWOK's error text; anything else has no code", () => {
    expect(exitCodeOf({ status: 'Success' })).toBe(0);
    expect(
      exitCodeOf({
        status: 'Failure',
        reason: 'NonZeroExitCode',
        message: 'command terminated with non-zero exit code: error executing command [sh -c exit 3], exit code 3',
        details: { causes: [{ reason: 'ExitCode', message: '3' }] },
      }),
    ).toBe(3);
    expect(
      exitCodeOf({ status: 'Failure', reason: 'InternalError', message: 'error executing command in container: cmd wait: sh -c exit 4: exit status 4' }),
    ).toBe(4);
    expect(exitCodeOf({ status: 'Failure', reason: 'InternalError', message: 'exec: "nope": executable file not found in $PATH' })).toBeUndefined();
  });
});

describe('execPath', () => {
  it('sends the argv in order, one command parameter each, and asks for stdin only when there is some', () => {
    const path = execPath({ namespace: 'n s', pod: 'web-0', container: 'app', command: ['sh', '-c', 'echo a && echo b'] });
    const url = new URL(path, 'https://x');
    expect(url.pathname).toBe('/api/v1/namespaces/n%20s/pods/web-0/exec');
    expect(url.searchParams.getAll('command')).toEqual(['sh', '-c', 'echo a && echo b']);
    expect(url.searchParams.get('stdin')).toBeNull();
    expect(
      new URL(execPath({ namespace: 'n', pod: 'p', container: 'c', command: ['cat'], stdin: Buffer.from('x') }), 'https://x').searchParams.get('stdin'),
    ).toBe('true');
  });
});

describe('OutputBuffer', () => {
  it("'tail' keeps the last bytes across chunks and counts them all", () => {
    const out = new OutputBuffer(10, 'tail');
    for (let i = 0; i < 100; i++) out.push(Buffer.from(`${i % 10}`.repeat(3)));
    expect(out.total).toBe(300);
    expect(out.overflowed).toBe(true);
    expect(out.bytes().toString()).toBe('6777888999');
  });

  it("'head' keeps the first bytes and stops growing", () => {
    const out = new OutputBuffer(5, 'head');
    out.push(Buffer.from('abc'));
    out.push(Buffer.from('defgh'));
    expect(out.bytes().toString()).toBe('abcde');
    expect(out.total).toBe(8);
    const small = new OutputBuffer(5, 'head');
    small.push(Buffer.from('ab'));
    expect(small.overflowed).toBe(false);
  });
});
