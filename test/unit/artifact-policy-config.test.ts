import { describe, expect, it } from 'vitest';
import {
  ARTIFACT_POLICY_PROPERTIES,
  DEFAULT_FORBIDDEN_PATTERNS,
  DEFAULT_MAX_FILE_BYTES,
  readArtifactPolicy,
} from '../../samples/processors/artifact-policy-config.js';
import { compileGlob } from '../../samples/processors/path-glob.js';

describe('compileGlob', () => {
  it.each<[string, string, boolean]>([
    ['id_rsa', 'id_rsa', true],
    ['id_rsa', 'home/deploy/.ssh/id_rsa', true],
    ['id_rsa', 'id_rsa.pub', false],
    ['*.key', 'certs/server.key', true],
    ['*.key', 'certs/SERVER.KEY', true],
    ['*.key', 'keys.txt', false],
    ['.env', 'app/.env', true],
    ['.env', 'app/.env.example', false],
    ['secrets', 'secrets/db.txt', true],
    ['secrets', 'config/secrets/db.txt', true],
    ['config/*.json', 'config/app.json', true],
    ['config/*.json', 'config/nested/app.json', false],
    ['config/*.json', 'src/config/app.json', false],
    ['/build', 'build/out.js', true],
    ['/build', 'src/build/out.js', false],
    ['**/fixtures/*.pem', 'fixtures/a.pem', true],
    ['**/fixtures/*.pem', 'test/unit/fixtures/a.pem', true],
    ['src/**/*.map', 'src/a/b/c.js.map', true],
    ['src/**/*.map', 'lib/c.js.map', false],
    ['dist/**', 'dist/a/b.js', true],
    ['?.txt', 'a.txt', true],
    ['?.txt', 'ab.txt', false],
    ['a+b(c).txt', 'a+b(c).txt', true],
  ])('%s matches %s: %s', (pattern, path, expected) => {
    expect(compileGlob(pattern).matches(path)).toBe(expected);
  });
});

describe('readArtifactPolicy', () => {
  it('takes the defaults when nothing is configured', () => {
    const { policy } = readArtifactPolicy({});

    expect(policy?.forbidden.map((glob) => glob.pattern)).toEqual(DEFAULT_FORBIDDEN_PATTERNS);
    expect(policy).toMatchObject({
      exempt: [],
      detectPrivateKeys: true,
      maxFileBytes: DEFAULT_MAX_FILE_BYTES,
      maxTotalBytes: undefined,
    });
  });

  it('reads comma- or line-separated patterns, booleans in any case and byte counts', () => {
    const { policy } = readArtifactPolicy({
      ForbiddenPatterns: ' *.pem, build/**\n secrets ,',
      ExemptPatterns: 'test/fixtures/**',
      DetectPrivateKeys: 'FALSE',
      MaxFileBytes: '1024',
      MaxTotalBytes: ' 4096 ',
    });

    expect(policy?.forbidden.map((glob) => glob.pattern)).toEqual(['*.pem', 'build/**', 'secrets']);
    expect(policy?.exempt.map((glob) => glob.pattern)).toEqual(['test/fixtures/**']);
    expect(policy).toMatchObject({
      detectPrivateKeys: false,
      maxFileBytes: 1024,
      maxTotalBytes: 4096,
    });
  });

  it('turns a pattern list off with "none"', () => {
    expect(readArtifactPolicy({ ForbiddenPatterns: 'None' }).policy?.forbidden).toEqual([]);
  });

  it.each<[string, Record<string, string>, string]>([
    [
      'a size that is not a number',
      { MaxFileBytes: '10MB' },
      'MaxFileBytes must be a whole number of bytes, at least 1',
    ],
    [
      'a size of 0',
      { MaxTotalBytes: '0' },
      'MaxTotalBytes must be a whole number of bytes, at least 1',
    ],
    [
      'a negative size',
      { MaxFileBytes: '-5' },
      'MaxFileBytes must be a whole number of bytes, at least 1',
    ],
    [
      'a size beyond exact integers',
      { MaxFileBytes: '9007199254740993' },
      'MaxFileBytes must be a whole number of bytes, at least 1',
    ],
    [
      'a flag that is not a boolean',
      { DetectPrivateKeys: 'yes' },
      'DetectPrivateKeys must be true or false',
    ],
    [
      'brace alternatives',
      { ForbiddenPatterns: '*.pem, *.{key,p12}' },
      'ForbiddenPatterns: pattern 2 uses [, ], {, } or \\, which these globs do not support (list alternatives as separate patterns, with / between folders)',
    ],
    ['a backslash', { ExemptPatterns: 'test\\fixtures' }, 'ExemptPatterns: pattern 1 uses'],
  ])('names the property, not its value, for %s', (_, configuration, message) => {
    const { policy, problems } = readArtifactPolicy(configuration);

    expect(policy).toBeUndefined();
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(message);
    for (const value of Object.values(configuration)) expect(problems[0]).not.toContain(value);
  });

  it('reports every bad property at once', () => {
    const { problems } = readArtifactPolicy({
      MaxFileBytes: 'x',
      MaxTotalBytes: 'y',
      DetectPrivateKeys: 'z',
    });

    expect(problems.map((problem) => problem.split(' ')[0])).toEqual([
      'DetectPrivateKeys',
      'MaxFileBytes',
      'MaxTotalBytes',
    ]);
  });

  it('declares properties CodePipeline accepts: optional, not secret, descriptions of 1-160', () => {
    for (const property of ARTIFACT_POLICY_PROPERTIES) {
      expect(property).toMatchObject({ required: false, secret: false, queryable: false });
      expect(property.description.length).toBeGreaterThan(0);
      expect(property.description.length).toBeLessThanOrEqual(160);
    }
    expect(ARTIFACT_POLICY_PROPERTIES.map((property) => property.name)).toEqual([
      'ForbiddenPatterns',
      'ExemptPatterns',
      'DetectPrivateKeys',
      'MaxFileBytes',
      'MaxTotalBytes',
    ]);
  });
});
