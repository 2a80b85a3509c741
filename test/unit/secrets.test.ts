import { Console } from 'node:console';
import { Writable } from 'node:stream';
import { format, inspect } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MIN_SECRET_LENGTH, REDACTED, Secret } from '../../lambda/job/secret.js';
import { createPowertools, workerLogger } from '../../lambda/powertools.js';
import { SecretScrubber, secretForms } from '../../lambda/worker/secrets.js';
import { SECRETS } from '../helpers/jobs.js';
import { unsafeCharacters } from '../helpers/secret-scan.js';
import { captureOutput } from '../helpers/telemetry.js';

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
    scrubber.hold(['abcdefgh']);
    scrubber.hold(['abcdefghijkl']);

    const text = scrubber.scrub('key=abcdefghijkl, prefix=abcdefgh');

    expect(text).toBe(`key=${REDACTED}, prefix=${REDACTED}`);
    expect(text).not.toContain('ijkl');
  });

  it('removes a value that contains another one', () => {
    const scrubber = new SecretScrubber();
    scrubber.hold(['password', 'my-password-vault']);

    expect(scrubber.scrub('my-password-vault')).toBe(REDACTED);
  });

  it('removes both of two values that overlap in the text, and a chain of three', () => {
    const scrubber = new SecretScrubber();
    scrubber.hold(['ghp_AAAA1111', '1111BBBBCCCC', 'CCCCDDDD-tail']);

    expect(scrubber.scrub('auth ghp_AAAA1111BBBBCCCC end')).toBe(`auth ${REDACTED} end`);
    expect(scrubber.scrub('x ghp_AAAA1111BBBBCCCCDDDD-tail y')).toBe(`x ${REDACTED} y`);
  });

  it('leaves no character of two values that overlap by any length (property)', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[a-d]{1,8}$/),
        fc.stringMatching(/^[a-d]{1,8}$/),
        fc.stringMatching(/^[a-d]{1,8}$/),
        (head, shared, tail) => {
          const first = `${head}${shared}`;
          const second = `${shared}${tail}`;
          fc.pre(first.length >= MIN_SECRET_LENGTH && second.length >= MIN_SECRET_LENGTH);
          const scrubber = new SecretScrubber();
          scrubber.hold([first, second]);

          const text = scrubber.scrub(`x ${head}${shared}${tail} y`);

          expect(text).toBe(`x ${REDACTED} y`);
        },
      ),
      { numRuns: 500 },
    );
  });

  it.each([
    'a.b*c+d?',
    '^$[x]{2}(y|z)',
    'back\\slash\\d+',
    'wJalrXUtnFEMI/K7MDENG+bPxRfiCY==',
    '$&$1$$$`',
  ])('matches %s literally, regex characters included', (secret) => {
    const scrubber = new SecretScrubber();
    scrubber.hold([secret]);

    const text = scrubber.scrub(`before ${secret} after`);

    expect(text).toBe(`before ${REDACTED} after`);
  });

  it('does not treat a secret with regex characters as a pattern', () => {
    const scrubber = new SecretScrubber();
    scrubber.hold(['a.c.e.g.i']);

    expect(scrubber.scrub('abcdefghi')).toBe('abcdefghi');
  });

  it(`ignores values shorter than ${MIN_SECRET_LENGTH} characters, which would mangle free text`, () => {
    const scrubber = new SecretScrubber();

    scrubber.hold(['', 'a', 'on', 'the', '2026', 'seven77']);

    expect(scrubber.size).toBe(0);
    expect(scrubber.scrub('the job ran on 2026-12-07 (seven77)')).toBe(
      'the job ran on 2026-12-07 (seven77)',
    );
  });

  it(`scrubs a value of exactly ${MIN_SECRET_LENGTH} characters`, () => {
    const scrubber = new SecretScrubber();
    scrubber.hold(['p4ss-w0r']);

    expect(scrubber.scrub('pw p4ss-w0r')).toBe(`pw ${REDACTED}`);
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
        fc.string({ minLength: MIN_SECRET_LENGTH, maxLength: 40, unit: 'binary' }),
        fc.array(fc.string({ maxLength: 30, unit: 'binary' }), { minLength: 1, maxLength: 5 }),
        fc.array(fc.string({ minLength: MIN_SECRET_LENGTH, maxLength: 16 }), { maxLength: 3 }),
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
        fc.stringMatching(/^[ab]{8,12}$/),
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

describe('secret forms', () => {
  /** A secret with every character an encoding changes: quote, backslash, slash, non-ASCII. */
  const TRICKY = 'pa"ss\\wörd/+?&= 9';

  function holding(...values: string[]): SecretScrubber {
    const scrubber = new SecretScrubber();
    scrubber.hold(values);
    return scrubber;
  }

  it('removes a secret JSON-escaped inside a message, the JSON staying valid', () => {
    const scrubber = holding(TRICKY);
    const message = `notifier said ${JSON.stringify({ token: TRICKY, n: 1 })}`;

    const text = scrubber.scrub(message);

    expect(text).toBe(`notifier said {"token":"${REDACTED}","n":1}`);
  });

  it('removes a secret JSON-escaped twice, or with non-ASCII and / escaped', () => {
    const scrubber = holding(TRICKY);
    const twice = JSON.stringify(JSON.stringify({ token: TRICKY }));
    const ascii = JSON.stringify(TRICKY).replace(
      /[\u0080-\uffff]/g,
      (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
    );
    const slashes = JSON.stringify(TRICKY).replaceAll('/', '\\/');

    for (const text of [twice, ascii, slashes]) {
      expect(text).not.toContain(TRICKY);
      expect(scrubber.scrub(text)).toContain(REDACTED);
      expect(scrubber.scrub(text)).not.toMatch(/w(ö|\\u00f6)rd/);
    }
  });

  it.each([
    ['a path or query value', (v: string) => encodeURIComponent(v)],
    ['a form value', (v: string) => new URLSearchParams({ t: v }).toString().slice(2)],
    [
      'with lower-case hex',
      (v: string) => encodeURIComponent(v).replace(/%[0-9A-F]{2}/g, (h) => h.toLowerCase()),
    ],
  ])('removes a secret URL-encoded as %s', (_, encode) => {
    const scrubber = holding(TRICKY);
    const url = `https://hooks.example.com/notify?token=${encode(TRICKY)}&retry=1`;

    const text = scrubber.scrub(url);

    expect(text).toBe(`https://hooks.example.com/notify?token=${REDACTED}&retry=1`);
  });

  it.each(['', 'u', 'ci', 'deploy'])(
    'removes a secret base64-encoded in a Basic-auth header after the user %j',
    (user) => {
      const scrubber = holding(SECRETS.apiToken);
      const encoded = Buffer.from(`${user}:${SECRETS.apiToken}`).toString('base64');

      const text = scrubber.scrub(`Authorization: Basic ${encoded}`);

      // What is left: the user's characters (one shared with the secret's first bits), and
      // at most one character shared with its last bits, with the padding.
      const [before, after, ...more] = text.slice('Authorization: Basic '.length).split(REDACTED);
      expect(more).toEqual([]);
      expect(before?.length).toBeLessThanOrEqual(Math.ceil((8 * (user.length + 1)) / 6));
      expect(after?.length).toBeLessThanOrEqual(3);
    },
  );

  it('removes a secret in base64url, as tokens carry it', () => {
    const scrubber = holding(TRICKY);
    const encoded = Buffer.from(`{"key":"${TRICKY}"}`).toString('base64url');

    expect(scrubber.scrub(`jwt=${encoded}`)).toContain(REDACTED);
  });

  it('leaves no run of base64 that only the secret decides, at any offset (property)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: MIN_SECRET_LENGTH, maxLength: 40 }),
        fc.uint8Array({ maxLength: 8 }),
        fc.uint8Array({ maxLength: 8 }),
        fc.constantFrom('base64' as const, 'base64url' as const),
        (secretBytes, before, after, encoding) => {
          const secret = Buffer.from(secretBytes).toString('latin1');
          const bytes = Buffer.from(secret, 'utf8');
          const data = Buffer.concat([before, bytes, after]);
          const encoded = data.toString(encoding);
          const first = Math.ceil((8 * before.length) / 6);
          const end = Math.floor((8 * (before.length + bytes.length)) / 6);
          const decided = encoded.slice(first, end);

          const text = holding(secret).scrub(encoded);

          expect(text).toContain(REDACTED);
          expect(text).not.toContain(decided);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('removes a secret as the lower- or upper-case hex of its bytes, at any offset in a dump (property)', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: MIN_SECRET_LENGTH, maxLength: 24 }),
        fc.uint8Array({ maxLength: 8 }),
        fc.uint8Array({ maxLength: 8 }),
        fc.boolean(),
        (secret, before, after, upper) => {
          const bytes = Buffer.from(secret, 'utf8');
          const hex = Buffer.concat([before, bytes, after]).toString('hex');
          const dump = upper ? hex.toUpperCase() : hex;

          const text = holding(secret).scrub(`digest input ${dump}`);

          expect(text).toContain(REDACTED);
          const secretHex = bytes.toString('hex');
          expect(text).not.toContain(upper ? secretHex.toUpperCase() : secretHex);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('removes a secret upper- or lower-cased', () => {
    const scrubber = holding(SECRETS.apiToken);

    const text = scrubber.scrub(
      `USING ${SECRETS.apiToken.toUpperCase()} then ${SECRETS.apiToken.toLowerCase()}`,
    );

    expect(text).toBe(`USING ${REDACTED} then ${REDACTED}`);
  });

  it('makes no form shorter than the minimum, and lists the value itself first', () => {
    const forms = secretForms(TRICKY);

    expect(forms[0]).toBe(TRICKY);
    expect(new Set(forms).size).toBe(forms.length);
    for (const form of forms) expect(form.length).toBeGreaterThanOrEqual(MIN_SECRET_LENGTH);
  });

  it('makes forms of a value with a lone surrogate without throwing', () => {
    const scrubber = new SecretScrubber();

    expect(() => scrubber.hold(['abc\ud800defghij'])).not.toThrow();
    expect(scrubber.scrub('x abc\ud800defghij y')).toBe(`x ${REDACTED} y`);
  });

  it('forgets a form two values share only when both are forgotten', () => {
    const scrubber = new SecretScrubber();
    const forgetLower = scrubber.hold(['token-value-1']);
    const forgetUpper = scrubber.hold(['TOKEN-VALUE-1']);

    forgetLower();

    expect(scrubber.scrub('token-value-1')).toBe(REDACTED);
    forgetUpper();
    expect(scrubber.scrub('token-value-1')).toBe('token-value-1');
  });
});

describe('keys of a log line', () => {
  it('scrubs a secret used as an attribute key, at any depth, keeping the value', () => {
    const scrubber = new SecretScrubber();
    scrubber.hold([SECRETS.apiToken]);

    const json = JSON.stringify(
      { [SECRETS.apiToken]: 1, nested: { [`x-${SECRETS.apiToken}`]: [{ [SECRETS.apiToken]: 2 }] } },
      scrubber.jsonReplacer,
    );

    expect(json).not.toContain(SECRETS.apiToken);
    expect(JSON.parse(json)).toEqual({
      [REDACTED]: 1,
      nested: { [`x-${REDACTED}`]: [{ [REDACTED]: 2 }] },
    });
  });

  it('keeps both of two keys that scrub to the same text', () => {
    const scrubber = new SecretScrubber();
    scrubber.hold([SECRETS.apiToken, SECRETS.webhookSecret]);

    const json = JSON.stringify(
      { [SECRETS.apiToken]: 'a', [SECRETS.webhookSecret]: 'b' },
      scrubber.jsonReplacer,
    );

    expect(JSON.parse(json)).toEqual({ [REDACTED]: 'a', [`${REDACTED}#2`]: 'b' });
  });

  it('scrubs a secret key of an error, keeping its name and message', () => {
    const scrubber = new SecretScrubber();
    scrubber.hold([SECRETS.apiToken]);
    const error = Object.assign(new Error('refused'), { [SECRETS.apiToken]: true });

    const json = JSON.stringify({ error }, scrubber.jsonReplacer);

    expect(json).not.toContain(SECRETS.apiToken);
    expect(JSON.parse(json).error).toMatchObject({
      name: 'Error',
      message: 'refused',
      [REDACTED]: true,
    });
  });

  it('leaves objects without a secret key as they are', () => {
    const scrubber = new SecretScrubber();
    scrubber.hold([SECRETS.apiToken]);
    const attributes = { jobId: 'j-1', count: 2 };

    expect(scrubber.jsonReplacer('', attributes)).toBe(attributes);
  });

  it('writes no secret key, and no raw bidirectional or C1 control, through the Powertools logger', () => {
    const scrubber = new SecretScrubber();
    scrubber.hold([SECRETS.apiToken]);
    const { logger } = createPowertools(scrubber);
    const output = captureOutput();
    try {
      logger.error('notifier refused', {
        [SECRETS.apiToken]: 'as a key',
        detail: 'ok\u202etxt.exe \u009b31m \u2028 \u001b[2J',
      });
    } finally {
      output.restore();
    }

    const text = output.text();
    expect(text).toContain('notifier refused');
    expect(text).not.toContain(SECRETS.apiToken);
    // JSON escapes ESC; the log line has a raw newline only between lines.
    expect(unsafeCharacters(text.trimEnd())).toEqual([]);
    expect(output.records()[0]).toMatchObject({
      [REDACTED]: 'as a key',
      detail: 'ok\\u202etxt.exe \\x9b31m \\u2028 \u001b[2J',
    });
  });
});

describe('bytes in a log line', () => {
  it('writes a Buffer or a typed array holding a secret as its size, never its bytes', () => {
    const scrubber = new SecretScrubber();
    scrubber.hold([SECRETS.apiToken]);
    const { logger } = createPowertools(scrubber);
    const body = Buffer.from(`{"token":"${SECRETS.apiToken}"}`);
    const output = captureOutput();
    try {
      logger.error('webhook answered', { body, copy: new Uint8Array(body), nested: { body } });
      workerLogger(logger).error('webhook answered', body as unknown as Record<string, unknown>);
    } finally {
      output.restore();
    }

    const byteList = [...Buffer.from(SECRETS.apiToken)].join(',');
    expect(output.text()).not.toContain(byteList);
    expect(output.records()[0]).toMatchObject({
      body: `<Buffer ${body.length} bytes>`,
      copy: `<Uint8Array ${body.length} bytes>`,
      nested: { body: `<Buffer ${body.length} bytes>` },
    });
    expect(output.records()[1]).toMatchObject({ attributes: `<Buffer ${body.length} bytes>` });
    expect(output.records()[1]).not.toHaveProperty('0');
  });

  it('removes a secret logged as the hex of its bytes', () => {
    const scrubber = new SecretScrubber();
    scrubber.hold([SECRETS.apiToken]);
    const { logger } = createPowertools(scrubber);
    const hex = Buffer.from(SECRETS.apiToken).toString('hex');
    const output = captureOutput();
    try {
      logger.error('signed', { digestInput: hex, upper: hex.toUpperCase() });
    } finally {
      output.restore();
    }

    expect(output.records()[0]).toMatchObject({ digestInput: REDACTED, upper: REDACTED });
  });
});
