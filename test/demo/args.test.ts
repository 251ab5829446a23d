/** The demo's command line: defaults, flags, and errors that name the flag (exit code 2). */
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_CALLS,
  DEFAULT_MODEL,
  DEFAULT_REAL_CALLS,
  DEFAULT_STREAM_SHARE,
  DemoUsageError,
  parseDemoArgs,
} from '../../src/demo/args.js';
import { runDemo, type DemoIO } from '../../src/demo/command.js';
import Anthropic from '@anthropic-ai/sdk';
import { countStreams, errorLabel, isStreamCall } from '../../src/demo/run.js';

const KEY = { ANTHROPIC_API_KEY: 'sk-ant-test' };

function usageError(argv: string[], env: Record<string, string> = {}): string {
  try {
    parseDemoArgs(argv, env);
  } catch (error) {
    expect(error).toBeInstanceOf(DemoUsageError);
    return (error as Error).message;
  }
  throw new Error(`no error for ${argv.join(' ')}`);
}

describe('parseDemoArgs', () => {
  it('defaults to the simulator on the demo scenario, even when an API key is set', () => {
    for (const env of [{}, KEY]) {
      expect(parseDemoArgs([], env)).toEqual({
        help: false,
        calls: DEFAULT_CALLS,
        scenario: 'demo',
        streamShare: DEFAULT_STREAM_SHARE,
        real: false,
        model: DEFAULT_MODEL,
      });
    }
    expect(DEFAULT_STREAM_SHARE).toBeGreaterThan(0);
  });

  it('takes every flag', () => {
    expect(
      parseDemoArgs(
        ['--calls', '40', '--scenario', 'burst', '--stream-share', '0.5', '--model', 'claude-haiku-4-5'],
        {},
      ),
    ).toEqual({
      help: false,
      calls: 40,
      scenario: 'burst',
      streamShare: 0.5,
      real: false,
      model: 'claude-haiku-4-5',
    });
    expect(parseDemoArgs(['--stream-share=1'], {})).toMatchObject({ streamShare: 1 });
    expect(parseDemoArgs(['--stream-share', '0'], {})).toMatchObject({ streamShare: 0 });
    expect(parseDemoArgs(['-h'], {})).toEqual({ help: true });
  });

  it('calls the real API only with --real and a key, with a smaller default burst and any model id', () => {
    expect(parseDemoArgs(['--real'], KEY)).toMatchObject({
      real: true,
      scenario: undefined,
      calls: DEFAULT_REAL_CALLS,
    });
    expect(parseDemoArgs(['--real', '--model', 'claude-new-model', '--calls', '3'], KEY)).toMatchObject({
      model: 'claude-new-model',
      calls: 3,
    });
    expect(usageError(['--real'])).toBe(
      '--real calls the real Claude API and needs ANTHROPIC_API_KEY; it is not set.',
    );
    expect(usageError(['--real'], { ANTHROPIC_API_KEY: '  ' })).toContain('needs ANTHROPIC_API_KEY');
    expect(usageError(['--real', '--scenario', 'burst'], KEY)).toContain('cannot be combined with --real');
  });

  it('names the flag and the accepted range for bad values', () => {
    expect(usageError(['--calls', '0'])).toBe('--calls: expected an integer from 1 to 100000, got "0"');
    expect(usageError(['--calls', '2.5'])).toContain('--calls: expected an integer');
    expect(usageError(['--calls', 'many'])).toContain('got "many"');
    expect(usageError(['--stream-share', '1.5'])).toBe(
      '--stream-share: expected a number from 0 to 1, got "1.5"',
    );
    expect(usageError(['--stream-share', '-0.1'])).toContain('--stream-share');
    expect(usageError(['--scenario', 'nope'])).toMatch(
      /^--scenario: expected one of none, burst, .*demo, .*got "nope"$/,
    );
    expect(usageError(['--model', 'gpt-4'])).toMatch(/^--model: the simulator knows claude-/);
    expect(usageError(['--model', ''])).toContain('--model');
    expect(usageError(['--bogus'])).toContain("'--bogus'");
    expect(usageError(['extra'])).toContain('extra');
  });
});

describe('runDemo exit codes without a run', () => {
  function io() {
    const out: string[] = [];
    const err: string[] = [];
    const demoIO: DemoIO = { out: (l) => out.push(l), err: (l) => err.push(l), onShutdown: () => () => {} };
    return { demoIO, out, err };
  }

  it('bad arguments print the error and a pointer to --help, exit 2', async () => {
    const { demoIO, out, err } = io();
    expect(await runDemo(['--calls', '-3'], demoIO, {})).toBe(2);
    expect(err.join('\n')).toContain('--calls');
    expect(err.join('\n')).toContain('--help');
    expect(out).toEqual([]);
  });

  it('--real without a key refuses, exit 2', async () => {
    const { demoIO, err } = io();
    expect(await runDemo(['--real'], demoIO, {})).toBe(2);
    expect(err.join('\n')).toContain('needs ANTHROPIC_API_KEY');
  });

  it('--help prints the flags and the scenarios, exit 0', async () => {
    const { demoIO, out } = io();
    expect(await runDemo(['--help'], demoIO, {})).toBe(0);
    const text = out.join('\n');
    for (const flag of ['--calls', '--scenario', '--stream-share', '--model', '--real'])
      expect(text).toContain(flag);
    expect(text).toContain('stream-faults');
  });
});

describe('run helpers', () => {
  it('labels a failed call by its error class, with the API error code when the class does not name it', () => {
    const body = (type: string, code?: string) => ({
      type: 'error',
      error: { type, message: 'm', ...(code ? { details: { error_code: code } } : {}) },
    });
    const spend = body('rate_limit_error', 'enforced_spend_limit_reached');
    expect(errorLabel(Anthropic.APIError.generate(429, spend, undefined, new Headers()))).toBe(
      'RateLimitError enforced_spend_limit_reached',
    );
    class EnforcedSpendLimitReachedError extends Anthropic.RateLimitError {}
    expect(errorLabel(new EnforcedSpendLimitReachedError(429, spend, undefined, new Headers()))).toBe(
      'EnforcedSpendLimitReachedError',
    );
    expect(
      errorLabel(Anthropic.APIError.generate(529, body('overloaded_error'), undefined, new Headers())),
    ).toBe('OverloadedError');
    expect(
      errorLabel(new Anthropic.APIError(undefined, body('overloaded_error'), undefined, undefined)),
    ).toBe('APIError overloaded_error (mid-stream)');
    expect(errorLabel(new TypeError('x'))).toBe('TypeError');
  });

  it('spreads the share of streams evenly over the burst', () => {
    expect(countStreams(360, 0.4)).toBe(144);
    expect(countStreams(10, 0)).toBe(0);
    expect(countStreams(10, 1)).toBe(10);
    expect(Array.from({ length: 10 }, (_, i) => isStreamCall(i, 0.3))).toEqual([
      false,
      false,
      false,
      true,
      false,
      false,
      true,
      false,
      false,
      true,
    ]);
  });
});
