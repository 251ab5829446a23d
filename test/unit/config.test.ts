import { describe, expect, it } from 'vitest';
import { GatewayConfigError, loadConfig, SETTINGS } from '../../src/index.js';

describe('loadConfig', () => {
  it('has defaults', () => {
    expect(loadConfig({}, {})).toMatchObject({
      maxRetries: 5,
      baseDelayMs: 1000,
      concurrencyInitial: 4,
      disabled: false,
    });
  });
  it('reads every CLAUDE_GATEWAY_* variable; options win', () => {
    const c = loadConfig(
      { maxRetries: 2 },
      {
        CLAUDE_GATEWAY_MAX_RETRIES: '7',
        CLAUDE_GATEWAY_BASE_DELAY_MS: '50',
        CLAUDE_GATEWAY_DISABLED: 'true',
      },
    );
    expect(c).toMatchObject({ maxRetries: 2, baseDelayMs: 50, disabled: true });
    for (const s of SETTINGS) expect(s.env).toMatch(/^CLAUDE_GATEWAY_[A-Z_]+$/);
  });
  it('refuses bad values with an error naming the variable and the accepted form', () => {
    const bad = () => loadConfig({}, { CLAUDE_GATEWAY_MAX_RETRIES: 'five' });
    expect(bad).toThrow(GatewayConfigError);
    expect(bad).toThrow(/CLAUDE_GATEWAY_MAX_RETRIES.*an integer from 0 to 100/);
    expect(() => loadConfig({ baseDelayMs: -1 })).toThrow(
      /option `baseDelayMs`.*CLAUDE_GATEWAY_BASE_DELAY_MS/,
    );
    expect(() => loadConfig({}, { CLAUDE_GATEWAY_DISABLED: 'maybe' })).toThrow(/`true` or `false`/);
    expect(() => loadConfig({ maxRetries: 1.5 })).toThrow(GatewayConfigError);
    expect(() => loadConfig({ concurrencyMin: 10, concurrencyMax: 5 })).toThrow(/CONCURRENCY_MIN/);
    expect(() => loadConfig({ maxRetires: 3 } as never)).toThrow(/Unknown gateway option `maxRetires`/);
  });
  it('clamps the initial concurrency into [min, max]', () => {
    expect(loadConfig({ concurrencyInitial: 50, concurrencyMax: 8 }, {}).concurrencyInitial).toBe(8);
  });
});
