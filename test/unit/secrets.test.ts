import { Console } from 'node:console';
import { Writable } from 'node:stream';
import { format, inspect } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { REDACTED, Secret, SecretScrubber } from '../../lambda/worker/secrets.js';
import { SECRETS } from '../helpers/jobs.js';

const VALUE = SECRETS.apiToken;

/** A console that writes into a string, to see what `console.log` would print. */
function capturingConsole(): { console: Console; output: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  return {
    console: new Console({ stdout: stream, stderr: stream, colorMode: false }),
    output: () => chunks.join(''),
  };
}

describe('Secret', () => {
  it('gives its value through reveal()', () => {
    const secret = new Secret(VALUE);

    expect(secret.reveal()).toBe(VALUE);
  });

  it('wraps any value, not only strings', () => {
    const credentials = { accessKeyId: SECRETS.accessKeyId, sessionToken: SECRETS.sessionToken };

    const secret = new Secret(credentials);

    expect(secret.reveal()).toBe(credentials);
    expect(JSON.stringify({ credentials: secret })).toBe(`{"credentials":"${REDACTED}"}`);
  });

  it('serialises as [REDACTED] with JSON.stringify, alone and nested', () => {
    const secret = new Secret(VALUE);

    const json = JSON.stringify({ job: { secrets: [secret], token: secret } }, null, 2);

    expect(JSON.stringify(secret)).toBe(`"${REDACTED}"`);
    expect(json).not.toContain(VALUE);
    expect(json).toContain(`"token": "${REDACTED}"`);
  });

  it('prints no value with util.inspect, whatever the options', () => {
    const secret = new Secret(VALUE);

    const printed = [
      inspect(secret),
      inspect({ nested: { deeper: secret } }, { depth: Number.POSITIVE_INFINITY }),
      inspect(secret, { showHidden: true, getters: true }),
      inspect(secret, { customInspect: false, showHidden: true }),
    ];

    expect(printed[0]).toBe(`Secret(${REDACTED})`);
    for (const text of printed) expect(text).not.toContain(VALUE);
  });

  it('converts to [REDACTED] as a string, in every way a string is made', () => {
    const secret = new Secret(VALUE);

    const strings = [
      String(secret),
      `${secret}`,
      `token=${secret}`,
      [secret].join(','),
      // biome-ignore lint/style/useTemplate: `+` converts with the default hint, unlike a template
      secret + '',
    ];

    expect(strings).toEqual([REDACTED, REDACTED, `token=${REDACTED}`, REDACTED, REDACTED]);
  });

  it('prints no value through printf-style formatting', () => {
    const secret = new Secret(VALUE);

    const text = format('%s %o %O %j %d', secret, secret, secret, secret, secret);

    expect(text).not.toContain(VALUE);
    expect(text).toContain(REDACTED);
  });

  it('prints no value through console.log, console.error and console.table', () => {
    const secret = new Secret(VALUE);
    const { console: out, output } = capturingConsole();

    out.log(secret);
    out.log('calling with %s', secret, { secret });
    out.error(new Error('failed'), { token: secret });
    out.table([{ token: secret }]);
    out.dir({ token: secret }, { depth: 5 });

    expect(output()).toContain(REDACTED);
    expect(output()).not.toContain(VALUE);
  });

  it('keeps its value out of spreads, Object.keys and structuredClone', () => {
    const secret = new Secret(VALUE);

    const copies = [{ ...secret }, Object.keys(secret), Object.entries(secret)];

    expect(JSON.stringify(copies)).not.toContain(VALUE);
    expect(() => structuredClone(secret)).not.toThrow();
    expect(JSON.stringify(structuredClone({ secret }))).not.toContain(VALUE);
  });
});

describe('SecretScrubber', () => {
  it('replaces every occurrence of a held value', () => {
    const scrubber = new SecretScrubber();
    scrubber.hold([VALUE]);

    const text = scrubber.scrub(`401 for token ${VALUE}; retried with ${VALUE}`);

    expect(text).toBe(`401 for token ${REDACTED}; retried with ${REDACTED}`);
  });

  it('leaves text alone when it holds nothing', () => {
    const scrubber = new SecretScrubber();

    expect(scrubber.scrub(`token ${VALUE}`)).toBe(`token ${VALUE}`);
    expect(scrubber.size).toBe(0);
  });

  it('forgets values when the function hold returned is called', () => {
    const scrubber = new SecretScrubber();
    const forget = scrubber.hold([VALUE, SECRETS.webhookSecret]);

    forget();

    expect(scrubber.size).toBe(0);
    expect(scrubber.scrub(`token ${VALUE}`)).toBe(`token ${VALUE}`);
  });

  it('keeps a value held twice until both holders forget it', () => {
    const scrubber = new SecretScrubber();
    const forgetFirst = scrubber.hold([VALUE]);
    const forgetSecond = scrubber.hold([VALUE, SECRETS.webhookSecret]);

    forgetFirst();

    expect(scrubber.size).toBe(2);
    expect(scrubber.scrub(VALUE)).toBe(REDACTED);

    forgetSecond();

    expect(scrubber.size).toBe(0);
    expect(scrubber.scrub(VALUE)).toBe(VALUE);
  });

  it('counts a forget function once, however often it is called', () => {
    const scrubber = new SecretScrubber();
    scrubber.hold([VALUE]);
    const forget = scrubber.hold([VALUE]);

    forget();
    forget();

    expect(scrubber.size).toBe(1);
    expect(scrubber.scrub(VALUE)).toBe(REDACTED);
  });

  it('scrubs a value held after the first scrub', () => {
    const scrubber = new SecretScrubber();
    scrubber.hold([VALUE]);
    scrubber.scrub(VALUE);

    scrubber.hold([SECRETS.webhookSecret]);

    expect(scrubber.scrub(`${VALUE} ${SECRETS.webhookSecret}`)).toBe(`${REDACTED} ${REDACTED}`);
  });

  it('removes the longer of two overlapping values whole', () => {
    const scrubber = new SecretScrubber();
    scrubber.hold(['abcd']);
    scrubber.hold(['abcdefgh']);

    const text = scrubber.scrub('key=abcdefgh, prefix=abcd');

    expect(text).toBe(`key=${REDACTED}, prefix=${REDACTED}`);
    expect(text).not.toContain('efgh');
  });

  it('removes a value that contains another one', () => {
    const scrubber = new SecretScrubber();
    scrubber.hold(['pass', 'my-pass-word']);

    expect(scrubber.scrub('my-pass-word')).toBe(REDACTED);
  });

  it.each([
    'a.b*c+d?',
    '^$[x]{2}(y|z)',
    'back\\slash\\d+',
    'wJalrXUtnFEMI/K7MDENG+bPxRfiCY==',
    '$&$1$$',
  ])('matches %s literally, regex characters included', (secret) => {
    const scrubber = new SecretScrubber();
    scrubber.hold([secret]);

    const text = scrubber.scrub(`before ${secret} after`);

    expect(text).toBe(`before ${REDACTED} after`);
  });

  it('does not treat a secret with regex characters as a pattern', () => {
    const scrubber = new SecretScrubber();
    scrubber.hold(['a.c.e']);

    expect(scrubber.scrub('abcde')).toBe('abcde');
  });

  it('ignores values shorter than 4 characters, which would mangle free text', () => {
    const scrubber = new SecretScrubber();

    scrubber.hold(['', 'a', 'on', 'the']);

    expect(scrubber.size).toBe(0);
    expect(scrubber.scrub('the job ran on a worker')).toBe('the job ran on a worker');
  });

  it('scrubs a value of exactly 4 characters', () => {
    const scrubber = new SecretScrubber();
    scrubber.hold(['p4ss']);

    expect(scrubber.scrub('pw p4ss')).toBe(`pw ${REDACTED}`);
  });

  it('scrubs every string, at any depth, as a JSON.stringify replacer', () => {
    const scrubber = new SecretScrubber();
    scrubber.hold([VALUE, SECRETS.secretAccessKey]);
    const entry = {
      message: `call failed with ${VALUE}`,
      error: { name: 'Error', cause: { detail: [`key ${SECRETS.secretAccessKey}`, 42, true] } },
      count: 3,
      none: null,
    };

    const json = JSON.stringify(entry, scrubber.jsonReplacer);

    expect(json).not.toContain(VALUE);
    expect(json).not.toContain(SECRETS.secretAccessKey);
    expect(JSON.parse(json)).toEqual({
      message: `call failed with ${REDACTED}`,
      error: { name: 'Error', cause: { detail: [`key ${REDACTED}`, 42, true] } },
      count: 3,
      none: null,
    });
  });

  it('leaves non-string values to JSON.stringify as a replacer', () => {
    const scrubber = new SecretScrubber();
    scrubber.hold([VALUE]);

    const json = JSON.stringify(
      { at: new Date(0), secret: new Secret(VALUE) },
      scrubber.jsonReplacer,
    );

    expect(JSON.parse(json)).toEqual({ at: '1970-01-01T00:00:00.000Z', secret: REDACTED });
  });

  /** True when `secret` and the marker can overlap, so that scrubbing could rebuild it. */
  const overlapsMarker = (secret: string): boolean => {
    for (let n = 1; n <= Math.min(secret.length, REDACTED.length); n++) {
      if (REDACTED.endsWith(secret.slice(0, n)) || REDACTED.startsWith(secret.slice(-n))) {
        return true;
      }
    }
    return secret.includes(REDACTED) || REDACTED.includes(secret);
  };

  it('leaves no held secret in any text it scrubs (property)', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 4, maxLength: 40, unit: 'binary' }),
        fc.array(fc.string({ maxLength: 30, unit: 'binary' }), { minLength: 1, maxLength: 5 }),
        fc.array(fc.string({ minLength: 4, maxLength: 12 }), { maxLength: 3 }),
        (secret, pieces, others) => {
          fc.pre(!overlapsMarker(secret));
          const scrubber = new SecretScrubber();
          scrubber.hold([secret, ...others]);
          const text = pieces.join(secret);

          const scrubbed = scrubber.scrub(`${secret}${text}`);

          expect(scrubbed).not.toContain(secret);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('leaves no held secret where the text repeats and overlaps it (property)', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[ab]{4,8}$/),
        fc.stringMatching(/^[ab]{0,40}$/),
        (secret, text) => {
          const scrubber = new SecretScrubber();
          scrubber.hold([secret]);

          const scrubbed = scrubber.scrub(`${text}${secret}${text}`);

          expect(scrubbed).not.toContain(secret);
        },
      ),
      { numRuns: 500 },
    );
  });
});
