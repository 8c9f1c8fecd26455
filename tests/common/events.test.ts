/**
 * The events table as kubectl get events prints it: no COUNT column; a repeated event's LAST SEEN
 * reads "2m (x5 over 10m)", counting from when it was first seen.
 */
import { describe, expect, it } from 'vitest';
import { lastSeenCell, renderEvents, type KEvent } from '../../src/tools/common/events.js';

const now = Date.parse('2026-12-03T12:00:00Z');
const event = (o: Partial<KEvent>): KEvent => ({
  metadata: { name: 'e' },
  involvedObject: { kind: 'Pod', name: 'web-1' },
  type: 'Normal',
  reason: 'Pulled',
  message: 'ok',
  ...o,
});

describe('events as kubectl prints them', () => {
  it('a single event shows its age; a repeated one how often since it was first seen', () => {
    expect(lastSeenCell(event({ lastTimestamp: '2026-12-03T11:58:00Z', count: 1 }), now)).toBe('2m');
    expect(lastSeenCell(event({ firstTimestamp: '2026-12-03T11:50:00Z', lastTimestamp: '2026-12-03T11:58:00Z', count: 5 }), now)).toBe('2m (x5 over 10m)');
    expect(lastSeenCell(event({ eventTime: '2026-12-03T11:00:00Z', series: { count: 3, lastObservedTime: '2026-12-03T11:59:30Z' } }), now)).toBe(
      '30s (x3 over 60m)',
    );
  });

  it('has kubectl get events columns, without COUNT', () => {
    const { text } = renderEvents([event({ lastTimestamp: '2026-12-03T11:59:00Z', count: 2, firstTimestamp: '2026-12-03T11:57:00Z' })], {
      budget: 10_000,
      now,
    });
    expect(text.split('\n')).toEqual(['LAST SEEN          TYPE     REASON   OBJECT      MESSAGE', '60s (x2 over 3m)   Normal   Pulled   pod/web-1   ok']);
  });
});
