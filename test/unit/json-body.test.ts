/** A JSON body read whole: its value, or whether it was cut short (json-body.ts). */
import { describe, expect, it } from 'vitest';
import { endsInsideValue, readJsonBody } from '../../src/attempt/json-body.js';

const MESSAGE =
  '{"id":"msg_1","type":"message","content":[{"type":"text","text":"a \\"quoted\\" {brace} [x]"}],"usage":{"input_tokens":3,"output_tokens":7}}';

describe('readJsonBody', () => {
  it('parses a whole body', () => {
    const body = readJsonBody(` ${MESSAGE}\n`);
    expect(body.kind).toBe('value');
    expect(body.kind === 'value' && body.value).toMatchObject({ usage: { output_tokens: 7 } });
  });

  it('finds every cut of a message short: inside a string, an escape, an object or an array', () => {
    // Every proper prefix that opens the message is cut short, whatever byte it stops at; the
    // whole message is not.
    for (let end = 1; end < MESSAGE.length; end++) {
      expect(readJsonBody(MESSAGE.slice(0, end)).kind, MESSAGE.slice(0, end)).toBe('cut');
    }
  });

  it('leaves a body that is not JSON, but not cut either, to the SDK’s own SyntaxError', () => {
    for (const text of ['', '   ', 'null,', '<html>502</html>', '{"a":}', '{"a":1}}', '[1,]', 'hello']) {
      expect(readJsonBody(text).kind, text).toBe('invalid');
    }
  });
});

describe('endsInsideValue', () => {
  it('counts brackets inside strings as text, and an escaped quote as inside the string', () => {
    expect(endsInsideValue('{"a":"}"')).toBe(true); // the string's brace does not close the object
    expect(endsInsideValue('{"a":"x\\"}')).toBe(true); // the escaped quote does not end the string
    expect(endsInsideValue('{"a":"x\\\\"}')).toBe(false); // an escaped backslash does
    expect(endsInsideValue('{"a":"x\\')).toBe(true); // stops on the escape itself
  });

  it('only judges a body that opens an object or an array', () => {
    expect(endsInsideValue('"unterminated')).toBe(false);
    expect(endsInsideValue('12')).toBe(false);
    expect(endsInsideValue('\n [1,2')).toBe(true);
  });
});
