/**
 * The property helpers of the kit, each a Standard Schema of one property's value: what each
 * accepts and gives, what it refuses and how it says so, and `properties` over them.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Secret } from '../../lambda/job/secret.js';
import {
  boolean,
  integer,
  json,
  list,
  oneOf,
  optional,
  type PropertySchema,
  properties,
  type StandardSchemaV1,
  secret,
  text,
} from '../../lambda/kit/index.js';

function validate<T>(schema: StandardSchemaV1<unknown, T> | PropertySchema<T>, value: unknown) {
  const result = schema['~standard'].validate(value);
  if (result instanceof Promise) throw new Error('validated asynchronously');
  return result;
}

type Case = readonly [
  name: string,
  schema: PropertySchema<unknown>,
  value: string | undefined,
  expected: unknown,
];

const ACCEPTED: readonly Case[] = [
  ['text', text(), 'prod', 'prod'],
  ['text with a pattern', text({ pattern: /^[a-z]+$/ }), 'abc', 'abc'],
  ['integer', integer(), '-42', -42],
  ['integer with spaces and a sign', integer({ min: 1, max: 10 }), ' +7 ', 7],
  ['integer at its bounds', integer({ min: 1, max: 10 }), '10', 10],
  ['one of', oneOf(['low', 'high']), 'high', 'high'],
  ['boolean true', boolean(), 'true', true],
  ['boolean in any case', boolean(), 'False', false],
  ['JSON text', json(), '{"a":[1,2]}', { a: [1, 2] }],
  ['JSON text checked by zod', json(z.object({ a: z.number() })), '{"a":1}', { a: 1 }],
  ['list', list(), ' a, b ,,c ', ['a', 'b', 'c']],
  ['list of integers', list(integer()), '1,2', [1, 2]],
  ['optional, unset', optional(integer()), undefined, undefined],
  ['optional, empty, with a default', optional(integer(), 60), '', 60],
  ['optional, set', optional(integer(), 60), '5', 5],
];

const REFUSED: readonly Case[] = [
  ['text, unset', text(), undefined, [{ message: 'is required' }]],
  ['text, empty', text(), '', [{ message: 'is required' }]],
  ['text, not a string', text(), 5 as unknown as string, [{ message: 'must be a string' }]],
  [
    'text off its pattern',
    text({ pattern: /^[a-z]+$/, describe: 'lower-case letters' }),
    'ABC',
    [{ message: 'must be lower-case letters' }],
  ],
  ['integer, a fraction', integer(), '1.5', [{ message: 'must be an integer' }]],
  ['integer, hexadecimal', integer(), '0x10', [{ message: 'must be an integer' }]],
  ['integer, beyond safe', integer(), '9007199254740993', [{ message: 'must be an integer' }]],
  [
    'integer below',
    integer({ min: 1, max: 10 }),
    '0',
    [{ message: 'must be an integer from 1 to 10' }],
  ],
  [
    'integer above a max',
    integer({ max: 10 }),
    '11',
    [{ message: 'must be an integer of at most 10' }],
  ],
  [
    'integer below a min',
    integer({ min: 1 }),
    '0',
    [{ message: 'must be an integer of at least 1' }],
  ],
  [
    'one of, another case',
    oneOf(['low', 'high']),
    'LOW',
    [{ message: 'must be one of low, high' }],
  ],
  ['boolean, yes', boolean(), 'yes', [{ message: 'must be true or false' }]],
  ['JSON, not JSON', json(), "{'a':1}", [{ message: 'must be JSON text' }]],
  [
    'JSON checked by zod',
    json(z.object({ a: z.number() })),
    '{"a":"x"}',
    [expect.objectContaining({ path: ['a'] })],
  ],
  ['list, only commas', list(), ' , ,', [{ message: 'must list at least one item' }]],
  [
    'list of integers',
    list(integer()),
    '1,x,3,y',
    [
      { message: 'must be an integer', path: [1] },
      { message: 'must be an integer', path: [3] },
    ],
  ],
  [
    'optional, set and invalid',
    optional(integer(), 60),
    'sixty',
    [{ message: 'must be an integer' }],
  ],
];

describe('property helpers', () => {
  it.each(ACCEPTED)('accepts %s', (_name, schema, value, expected) => {
    expect(validate(schema, value)).toEqual({ value: expected });
  });

  it.each(REFUSED)('refuses %s', (_name, schema, value, issues) => {
    expect(validate(schema, value)).toEqual({ issues });
  });

  it('never quotes the value it refuses', () => {
    const value = 'not-valid-anywhere-QX7';
    const schemas = [
      integer(),
      oneOf(['a']),
      boolean(),
      json(),
      text({ pattern: /^a$/ }),
      list(integer()),
    ];

    const messages = schemas.flatMap((schema) =>
      (validate(schema, value).issues ?? []).map((issue) => issue.message),
    );

    expect(messages).toHaveLength(schemas.length);
    expect(messages.filter((message) => message.includes('QX7'))).toEqual([]);
  });

  it('wraps a secret property in Secret, and passes its inner problems on', () => {
    const accepted = validate(secret(integer()), '12345678');
    const refused = validate(secret(integer()), 'abcdefgh');
    const wrapped = accepted.issues ? undefined : accepted.value;

    expect(wrapped).toBeInstanceOf(Secret);
    expect(wrapped?.reveal()).toBe(12345678);
    expect(String(wrapped)).toBe('[REDACTED]');
    expect(refused).toEqual({ issues: [{ message: 'must be an integer' }] });
  });
});

describe('properties', () => {
  it('checks each named property, leaves the others out, and names each problem by its property', () => {
    const schema = properties({ A: integer(), B: optional(text(), 'b'), C: text() });

    const accepted = validate(schema, { A: '1', C: 'c', Other: 'x' });
    const refused = validate(schema, { A: 'one', B: '' });

    expect(accepted).toEqual({ value: { A: 1, B: 'b', C: 'c' } });
    expect(refused).toEqual({
      issues: [
        { message: 'must be an integer', path: ['A'] },
        { message: 'is required', path: ['C'] },
      ],
    });
  });

  it('refuses a value that is not an object', () => {
    expect(validate(properties({ A: text() }), 'A=1')).toEqual({
      issues: [{ message: 'must be an object' }],
    });
  });

  it('reads no inherited property as a value', () => {
    expect(validate(properties({ toString: text() }), {})).toEqual({
      issues: [{ message: 'is required', path: ['toString'] }],
    });
  });

  it('takes another library’s schema as a property, and waits for one that validates asynchronously', async () => {
    const schema = properties({
      Target: z.string().refine(async (value) => value !== 'prod', 'not prod'),
      Size: integer(),
    });

    const result = schema['~standard'].validate({ Target: 'prod', Size: 'x' });

    expect(result).toBeInstanceOf(Promise);
    expect(await result).toEqual({
      issues: [
        expect.objectContaining({ message: 'not prod', path: ['Target'] }),
        { message: 'must be an integer', path: ['Size'] },
      ],
    });
  });
});
