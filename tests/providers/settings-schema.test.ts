/**
 * settings.json is checked by TypeBox's interpreter on the way in (it compiles nothing, so start-up
 * stays fast) and by AJV only when TypeBox finds it wrong. Both must reach the same verdict and
 * fill the same defaults, or a file would mean one thing at start and another after a save: this
 * holds them together over generated settings, valid and broken, with a recorded seed.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KubezillaError } from '../../src/kernel/errors.js';
import { parseSettings, settingsValidator } from '../../src/providers/config/settings.js';

/** A value that is usually right for a field, sometimes a near miss, sometimes anything at all. */
const mostly = <T>(good: fc.Arbitrary<T>, nearMiss?: fc.Arbitrary<unknown>) =>
  fc.oneof({ weight: 300, arbitrary: good }, { weight: 1, arbitrary: nearMiss ?? fc.anything() }, { weight: 1, arbitrary: fc.anything() });
const port = mostly(fc.integer({ min: 0, max: 65535 }), fc.oneof(fc.integer({ min: 65536, max: 70_000 }), fc.constant(-1), fc.constant(80.5)));
const strings = fc.array(fc.string({ maxLength: 12 }), { maxLength: 3 });
const section = <T extends Record<string, fc.Arbitrary<unknown>>>(fields: T) => mostly(fc.record(fields, { requiredKeys: [] }));

const settings = fc.record(
  {
    mcp: section({
      enabled: mostly(fc.boolean()),
      bind: mostly(fc.constantFrom('127.0.0.1', '0.0.0.0', '::1')),
      port,
      allowNonLoopback: mostly(fc.boolean()),
      allowedHosts: mostly(strings),
      maxBodyBytes: mostly(fc.integer({ min: 1024, max: 10_000_000 }), fc.integer({ min: 0, max: 1023 })),
      maxSessions: mostly(fc.integer({ min: 1, max: 1000 }), fc.constant(0)),
    }),
    ui: section({ bind: mostly(fc.string({ maxLength: 10 })), port }),
    policy: section({
      enabledClasses: mostly(fc.uniqueArray(fc.constantFrom('read', 'safe-mutation', 'destructive')), fc.constantFrom(['read', 'read'], ['everything'])),
      destructiveTools: mostly(
        fc.uniqueArray(fc.constantFrom('drain_node', 'delete_resource')),
        fc.constantFrom(['bad name'], [''], ['drain_node', 'drain_node']),
      ),
      readOnlyContexts: mostly(strings),
      protectedNamespaces: mostly(strings),
      revealSecrets: mostly(fc.boolean()),
      maxOutputBytes: mostly(fc.integer({ min: 1024, max: 100_000 }), fc.constant(1023)),
      allowedChartSources: mostly(
        fc.array(fc.constantFrom('https://charts.example', 'oci://r/x', '/srv/charts', 'C:\\charts'), { maxLength: 3 }),
        fc.constant(['ftp://x']),
      ),
    }),
    toolDirs: mostly(strings),
    kubeconfig: section({
      files: mostly(strings),
      inline: mostly(
        fc.array(fc.record({ name: mostly(fc.string({ minLength: 1, maxLength: 5 }), fc.constant('')), content: mostly(fc.string({ maxLength: 5 })) }), {
          maxLength: 2,
        }),
      ),
    }),
    tunnels: mostly(
      fc.dictionary(
        fc.string({ maxLength: 6 }),
        fc.record(
          {
            host: mostly(fc.string({ minLength: 1, maxLength: 6 }), fc.constant('')),
            user: mostly(fc.string({ minLength: 1, maxLength: 6 })),
            port,
            idleTimeoutSeconds: mostly(fc.integer({ min: 1, max: 100 }), fc.constant(0)),
          },
          { requiredKeys: ['host', 'user'] },
        ),
        { maxKeys: 2 },
      ),
    ),
  },
  { requiredKeys: [] },
);
/** Now and then a key the schema does not know. */
const withUnknownKey = fc.tuple(settings, fc.option(fc.anything(), { freq: 20 })).map(([known, extra]) => (extra === null ? known : { ...known, extra }));

/** AJV's verdict alone: the filled copy, or undefined when it finds the settings invalid. */
function byAjv(raw: object): unknown {
  const copy = structuredClone(raw);
  return settingsValidator()(copy) ? copy : undefined;
}

function byParse(raw: object): unknown {
  try {
    return parseSettings(raw, 'settings.json');
  } catch (err) {
    expect(err).toBeInstanceOf(KubezillaError);
    expect((err as Error).message).toMatch(/^settings\.json is not valid: `/);
    return undefined;
  }
}

describe('settings schema', () => {
  it('fills the defaults of an empty file exactly as AJV does', () => {
    expect(parseSettings({}, 'defaults')).toEqual(byAjv({}));
    expect(parseSettings({}, 'defaults').policy.protectedNamespaces).toContain('kube-system');
  });

  it('reaches the same verdict and the same filled settings as AJV, valid or broken', () => {
    let valid = 0;
    fc.assert(
      fc.property(withUnknownKey, (raw) => {
        const expected = byAjv(raw);
        if (expected !== undefined) valid++;
        expect(byParse(raw)).toEqual(expected);
      }),
      { numRuns: 1500, seed: 20261203 },
    );
    // The generator must reach both verdicts often, or the property says little.
    expect(valid).toBeGreaterThan(50);
    expect(valid).toBeLessThan(1450);
  });
});
