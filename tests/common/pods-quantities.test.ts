// Pod status and resource quantities read and printed the way kubectl does.
import { describe, expect, it } from 'vitest';
import { podReady, podRestarts, podStatus } from '../../src/tools/common/pods.js';
import { formatBytes, formatCpu, formatResource, formatTopCpu, formatTopMemory, parseQuantity, topPercent } from '../../src/tools/common/quantities.js';
import type { KObject } from '../../src/tools/common/workloads.js';

const pod = (status: object, spec: object = { containers: [{ name: 'app' }] }, metadata: object = {}): KObject =>
  ({ metadata: { name: 'p', ...metadata }, spec, status }) as KObject;

describe('quantities', () => {
  it('parses decimal, binary and exponent forms into base units', () => {
    expect(parseQuantity('100m')).toBeCloseTo(0.1);
    expect(parseQuantity('2')).toBe(2);
    expect(parseQuantity('1.5Gi')).toBe(1.5 * 2 ** 30);
    expect(parseQuantity('128Mi')).toBe(128 * 2 ** 20);
    expect(parseQuantity('1k')).toBe(1000);
    expect(parseQuantity('2e3')).toBe(2000);
    expect(parseQuantity(4)).toBe(4);
    expect(parseQuantity('12parsecs')).toBeNaN();
    expect(parseQuantity(undefined)).toBeNaN();
  });

  it('prints CPU in millicores or cores and bytes in the largest whole binary unit', () => {
    expect(formatCpu(0.25)).toBe('250m');
    expect(formatCpu(2)).toBe('2');
    expect(formatCpu(1.5)).toBe('1500m');
    expect(formatBytes(128 * 2 ** 20)).toBe('128Mi');
    expect(formatBytes(1536 * 2 ** 10)).toBe('1536Ki');
    expect(formatBytes(1.25 * 2 ** 30)).toBe('1280Mi');
    expect(formatBytes(0)).toBe('0');
    expect(formatResource('cpu', 0.5)).toBe('500m');
    expect(formatResource('ephemeral-storage', 2 ** 30)).toBe('1Gi');
    expect(formatResource('pods', 110)).toBe('110');
  });

  it('prints usage as kubectl top does: millicores rounded up, whole Mi rounded down, shares truncated', () => {
    // Metrics API answers come in nanocores and Ki: these are metrics-server's own shapes.
    expect(formatTopCpu(parseQuantity('250000000n'))).toBe('250m');
    expect(formatTopCpu(parseQuantity('300000000n'))).toBe('300m'); // 0.3 * 1000 is not 300 in floating point
    expect(formatTopCpu(parseQuantity('1000001n'))).toBe('2m'); // Quantity.MilliValue rounds up
    expect(formatTopCpu(parseQuantity('2'))).toBe('2000m');
    expect(formatTopMemory(parseQuantity('65536Ki'))).toBe('64Mi');
    expect(formatTopMemory(parseQuantity('66559Ki'))).toBe('64Mi'); // 64.999Mi
    expect(formatTopCpu(Number.NaN)).toBe('<unknown>');
    expect(topPercent(parseQuantity('1200m'), parseQuantity('32'))).toBe('3%'); // 3.75 truncated
    expect(topPercent(parseQuantity('512Mi'), parseQuantity('256Gi'))).toBe('0%');
    expect(topPercent(1, 0)).toBe('<unknown>');
  });
});

describe('pod status', () => {
  it('shows what kubectl get pods shows in STATUS, READY and RESTARTS', () => {
    expect(podStatus(pod({ phase: 'Running', containerStatuses: [{ name: 'app', ready: true, state: { running: {} } }] }))).toBe('Running');
    const crashing = pod({
      phase: 'Running',
      containerStatuses: [{ name: 'app', ready: false, restartCount: 7, state: { waiting: { reason: 'CrashLoopBackOff' } } }],
    });
    expect(podStatus(crashing)).toBe('CrashLoopBackOff');
    expect(podReady(crashing)).toBe('0/1');
    expect(podRestarts(crashing)).toBe(7);
    expect(podStatus(pod({ phase: 'Running', containerStatuses: [{ name: 'app', state: { terminated: { exitCode: 137, reason: 'OOMKilled' } } }] }))).toBe(
      'OOMKilled',
    );
    expect(podStatus(pod({ phase: 'Running', containerStatuses: [{ name: 'app', state: { terminated: { exitCode: 3 } } }] }))).toBe('ExitCode:3');
    expect(podStatus(pod({ phase: 'Succeeded', containerStatuses: [{ name: 'app', state: { terminated: { exitCode: 0, reason: 'Completed' } } }] }))).toBe(
      'Completed',
    );
  });

  it('shows init containers as Init:n/m or their failure', () => {
    const spec = { initContainers: [{ name: 'a' }, { name: 'b' }], containers: [{ name: 'app' }] };
    expect(
      podStatus(
        pod(
          {
            phase: 'Pending',
            initContainerStatuses: [
              { name: 'a', state: { terminated: { exitCode: 0 } } },
              { name: 'b', state: { running: {} } },
            ],
          },
          spec,
        ),
      ),
    ).toBe('Init:1/2');
    expect(podStatus(pod({ phase: 'Pending', initContainerStatuses: [{ name: 'a', state: { waiting: { reason: 'ImagePullBackOff' } } }] }, spec))).toBe(
      'Init:ImagePullBackOff',
    );
    expect(podStatus(pod({ phase: 'Pending', initContainerStatuses: [{ name: 'a', state: { terminated: { exitCode: 1, reason: 'Error' } } }] }, spec))).toBe(
      'Init:Error',
    );
  });

  it('shows a pod being deleted as Terminating', () => {
    expect(podStatus(pod({ phase: 'Running' }, undefined, { deletionTimestamp: '2026-01-01T00:00:00Z' }))).toBe('Terminating');
  });
});
