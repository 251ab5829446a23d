/** The README is the reference: every setting and every public name must be in it. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { attributes, SETTINGS } from '../../src/index.js';
import { VERSION } from '../../src/version.js';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

describe('README', () => {
  it('lists every setting with its variable, option and default', () => {
    for (const s of SETTINGS) {
      const row = readme.split('\n').find((line) => line.startsWith(`| \`${s.env}\``));
      expect(row, s.env).toBeDefined();
      expect(row).toContain(`\`${s.option}\``);
      expect(row).toContain(typeof s.default === 'object' ? JSON.stringify(s.default) : String(s.default));
    }
  });

  it('names every gateway span, attribute and metric', () => {
    const names = Object.entries(attributes)
      .filter(([key, v]) => typeof v === 'string' && /^(ATTR_GATEWAY|SPAN_|METRIC_)/.test(key))
      .map(([, v]) => v as string);
    expect(names.length).toBeGreaterThan(15);
    for (const name of names) expect(readme, name).toContain(name);
  });

  it('the instrumentation scope version is the package version', () => {
    expect(VERSION).toBe(pkg.version);
  });
});
