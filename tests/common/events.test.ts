/**
 * The events table as kubectl get events prints it: its columns, no COUNT column; how often a
 * repeated event happened, "(x5 over 10m)" counted from when it was first seen, trails its message,
 * so it widens no column.
 */
import { describe, expect, it } from 'vitest';
import { renderEvents, repeatNote, type KEvent } from '../../src/tools/common/events.js';

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
  it('says how often a repeated event happened since it was first seen, and nothing for a single one', () => {
    expect(repeatNote(event({ lastTimestamp: '2026-12-03T11:58:00Z', count: 1 }), now)).toBe('');
    expect(repeatNote(event({ firstTimestamp: '2026-12-03T11:50:00Z', lastTimestamp: '2026-12-03T11:58:00Z', count: 5 }), now)).toBe('(x5 over 10m)');
    expect(repeatNote(event({ eventTime: '2026-12-03T11:00:00Z', series: { count: 3, lastObservedTime: '2026-12-03T11:59:30Z' } }), now)).toBe('(x3 over 60m)');
  });

  it('has kubectl get events columns, without COUNT, the repeat note after the message', () => {
    const { text } = renderEvents(
      [
        event({ metadata: { name: 'a' }, lastTimestamp: '2026-12-03T11:59:00Z', count: 2, firstTimestamp: '2026-12-03T11:57:00Z' }),
        event({ metadata: { name: 'b' }, reason: 'Started', message: 'Started container app', lastTimestamp: '2026-12-03T11:59:30Z' }),
      ],
      { budget: 10_000, now },
    );
    expect(text.split('\n')).toEqual([
      'LAST SEEN   TYPE     REASON    OBJECT      MESSAGE',
      '60s         Normal   Pulled    pod/web-1   ok (x2 over 3m)',
      '30s         Normal   Started   pod/web-1   Started container app',
    ]);
  });

  it('keeps the repeat note when a long message is clipped', () => {
    const { text } = renderEvents(
      [event({ message: 'x'.repeat(1000), count: 7, firstTimestamp: '2026-12-03T11:00:00Z', lastTimestamp: '2026-12-03T11:59:00Z' })],
      {
        budget: 10_000,
        now,
      },
    );
    expect(text.split('\n')[1]).toMatch(/x… \(x7 over 60m\)$/);
  });
});
