import { describe, expect, it } from '@jest/globals';
import {
  compareVersions,
  latestVersion,
  MAX_RELEASE_NUMBER,
  nextHotfix,
  nextVersion,
  outOfRangeWarning,
  parseVersions,
  VersionError,
  VersionFormat,
} from '../../../packages/version/index.js';

const defaultFormat = VersionFormat.parse('v0.0.{n}');
const tagsOf = (names: string[], format = defaultFormat): string[] =>
  parseVersions(names, (name) => format.parse(name)).map((version) => version.tag);

describe('VersionFormat.parse', () => {
  it.each(['v0.0.{n}', 'v1.0.{n}', 'release-{n}', '{n}', 'v0.0.{n}-cms', 'cms_{n}.0'])(
    'accepts %s',
    (template) => {
      expect(VersionFormat.parse(template).template).toBe(template);
    },
  );

  it.each([
    ['v0.0.', /exactly once \(found 0\)/],
    ['v{n}.{n}', /exactly once \(found 2\)/],
    ['v0.0.{n}/x', /letters, digits/],
    ['.v{n}', /must not start/],
    ['v0.0.{n}-', /hotfix/],
    ['v0.0.{n}-2', /hotfix/],
    ['v 0.{n}', /letters, digits/],
  ])('rejects %s', (template, message) => {
    expect(() => VersionFormat.parse(template)).toThrow(VersionError);
    expect(() => VersionFormat.parse(template)).toThrow(message);
  });

  it.each(['a..b/', 'a b/', 'x~/', '/cms/', 'a//b'])('rejects git tag prefix %s', (prefix) => {
    expect(() => VersionFormat.parse('v0.0.{n}', prefix)).toThrow(/not a valid start of a git tag/);
  });
});

describe('parse and order', () => {
  it('orders numerically, not as text', () => {
    expect(tagsOf(['v0.0.1000', 'v0.0.999', 'v0.0.10', 'v0.0.9', 'v0.0.100'])).toEqual([
      'v0.0.9',
      'v0.0.10',
      'v0.0.100',
      'v0.0.999',
      'v0.0.1000',
    ]);
  });

  it('puts a hotfix after its base and lower hotfixes, before the next release (not semver order)', () => {
    expect(
      tagsOf(['v0.0.418', 'v0.0.417-10', 'v0.0.417-2', 'v0.0.417', 'v0.0.417-1', 'v0.0.416-3']),
    ).toEqual(['v0.0.416-3', 'v0.0.417', 'v0.0.417-1', 'v0.0.417-2', 'v0.0.417-10', 'v0.0.418']);
  });

  it('ignores junk, leading zeros, zero hotfixes and other formats', () => {
    expect(
      tagsOf([
        'latest',
        'cache',
        'v0.0.x',
        'v0.0.07',
        'v0.0.417-0',
        'v0.0.417-01',
        'sha-abc123',
        'v1.0.5',
        'v0.0.',
        'v0.0.5-',
        'v0.0.5-1-1',
        ' v0.0.6',
        'v0.0.99999999999999999999',
        'v0.0.0',
        'v0.0.3',
      ]),
    ).toEqual(['v0.0.0', 'v0.0.3']);
  });

  it('parses git tags through the prefix and refs/tags/', () => {
    const format = VersionFormat.parse('v0.0.{n}', 'cms/');
    expect(format.parseGitTag('cms/v0.0.417')).toEqual({ number: 417, hotfix: 0, tag: 'v0.0.417' });
    expect(format.parseGitTag('refs/tags/cms/v0.0.417-2')).toEqual({
      number: 417,
      hotfix: 2,
      tag: 'v0.0.417-2',
    });
    expect(format.parseGitTag('v0.0.417')).toBeUndefined();
    expect(format.parseGitTag('api/v0.0.417')).toBeUndefined();
    expect(format.gitTag(format.render(418))).toBe('cms/v0.0.418');
    expect(format.gitTagListPrefix).toBe('cms/v0.0.');
  });

  it('handles templates with text after {n}', () => {
    const format = VersionFormat.parse('release-{n}-cms');
    expect(
      tagsOf(['release-2-cms-1', 'release-10-cms', 'release-2-cms', 'release-3'], format),
    ).toEqual(['release-2-cms', 'release-2-cms-1', 'release-10-cms']);
  });

  it('compares by number then hotfix', () => {
    const a = defaultFormat.render(417, 1);
    const b = defaultFormat.render(418);
    expect(compareVersions(a, b)).toBeLessThan(0);
    expect(compareVersions(b, a)).toBeGreaterThan(0);
    expect(compareVersions(a, defaultFormat.render(417, 1))).toBe(0);
    expect(latestVersion([b, a])?.tag).toBe('v0.0.418');
    expect(latestVersion([])).toBeUndefined();
  });

  it('refuses to render a tag longer than 128 characters', () => {
    const format = VersionFormat.parse(`${'a'.repeat(125)}{n}`);
    expect(format.render(999).tag).toHaveLength(128);
    expect(() => format.render(1000)).toThrow(/longer than the 128/);
  });
});

describe('nextVersion', () => {
  const versions = (names: string[]) => parseVersions(names, (name) => defaultFormat.parse(name));

  it('is max N + 1 across all given versions, hotfixes counting as their base', () => {
    expect(nextVersion(defaultFormat, versions(['v0.0.999', 'v0.0.1000', 'latest'])).tag).toBe(
      'v0.0.1001',
    );
    expect(nextVersion(defaultFormat, versions(['v0.0.417', 'v0.0.417-3'])).tag).toBe('v0.0.418');
  });

  it('starts at start-at when nothing exists, and uses it as a floor', () => {
    expect(nextVersion(defaultFormat, []).tag).toBe('v0.0.1');
    expect(nextVersion(defaultFormat, [], { startAt: 417 }).tag).toBe('v0.0.417');
    expect(nextVersion(defaultFormat, versions(['v0.0.3']), { startAt: 10 }).tag).toBe('v0.0.10');
    expect(nextVersion(defaultFormat, versions(['v0.0.30']), { startAt: 10 }).tag).toBe('v0.0.31');
  });

  it.each([0, -1, 1.5, Number.NaN])('rejects start-at %s', (startAt) => {
    expect(() => nextVersion(defaultFormat, [], { startAt })).toThrow(/positive whole number/);
  });
});

describe('release numbers above MAX_RELEASE_NUMBER', () => {
  const planted = ['v0.0.9007199254740991', 'v0.0.9007199254740993', 'v0.0.1000000000'];

  it('is 999999999, documented for compute-version', () => {
    expect(MAX_RELEASE_NUMBER).toBe(999_999_999);
  });

  it.each(planted)('ignores %s, so the next release is still max real N + 1', (junk) => {
    const versions = parseVersions(['v0.0.41', junk, 'v0.0.42'], (name) =>
      defaultFormat.parse(name),
    );
    expect(versions.map((version) => version.tag)).toEqual(['v0.0.41', 'v0.0.42']);
    expect(nextVersion(defaultFormat, versions).tag).toBe('v0.0.43');
  });

  it('ignores hotfix numbers above it too, so the next hotfix is still max real k + 1', () => {
    const versions = parseVersions(
      ['v0.0.417', 'v0.0.417-1', 'v0.0.417-9007199254740991', 'v0.0.417-1000000000'],
      (name) => defaultFormat.parse(name),
    );
    expect(nextHotfix(defaultFormat, versions, 'v0.0.417').tag).toBe('v0.0.417-2');
  });

  it('accepts the bound itself, and refuses to write one above it', () => {
    const top = defaultFormat.parse(`v0.0.${String(MAX_RELEASE_NUMBER)}`);
    expect(top?.number).toBe(MAX_RELEASE_NUMBER);
    expect(() => nextVersion(defaultFormat, top ? [top] : [])).toThrow(
      /1000000000 is above 999999999, the highest release or hotfix number this suite writes/,
    );
    expect(() => nextVersion(defaultFormat, [], { startAt: MAX_RELEASE_NUMBER + 1 })).toThrow(
      expect.objectContaining({ input: 'start-at' }),
    );
  });

  it('tells "the shape of a release, but out of range" apart from other tags', () => {
    for (const junk of [...planted, 'v0.0.5-1000000000', 'v0.0.99999999999999999999']) {
      expect(defaultFormat.isOutOfRange(junk)).toBe(true);
    }
    for (const tag of ['v0.0.999999999', 'v0.0.5-2', 'latest', 'v0.0.07', 'v0.0.x', 'v1.0.5']) {
      expect(defaultFormat.isOutOfRange(tag)).toBe(false);
    }
    const prefixed = VersionFormat.parse('v0.0.{n}', 'cms/');
    expect(prefixed.isOutOfRangeGitTag('refs/tags/cms/v0.0.9007199254740991')).toBe(true);
    expect(prefixed.isOutOfRangeGitTag('api/v0.0.9007199254740991')).toBe(false);
    expect(prefixed.isOutOfRangeGitTag('cms/v0.0.5')).toBe(false);
  });

  it('is a lookalike for update-manifest and open-manifest-pr: never a tag this suite writes', () => {
    expect(defaultFormat.isLookalike('v0.0.9007199254740991')).toBe(true);
  });

  it('warns in one line naming the tag and its source', () => {
    expect(outOfRangeWarning('v0.0.9007199254740991', 'octo-org/cms')).toBe(
      'ignoring tag v0.0.9007199254740991 in octo-org/cms: release and hotfix numbers above 999999999 are not releases this suite writes; delete the tag if it was pushed by mistake',
    );
  });
});

describe('isLookalike', () => {
  it.each(['v0.0.x', 'v0.0.-1', 'v0.0.1--2', 'V0.0.5', 'v0.0.07', 'v0.0.5-rc1', 'v0.0.'])(
    '%s starts like a v0.0.{n} version but is not one',
    (tag) => {
      expect(defaultFormat.isLookalike(tag)).toBe(true);
    },
  );

  it.each(['v0.0.418', 'v0.0.418-1', 'latest', 'sha-abc1234', '1.2', 'v1.2.3'])(
    '%s is a version or a tag of another shape',
    (tag) => {
      expect(defaultFormat.isLookalike(tag)).toBe(false);
    },
  );

  it('never applies to a format that starts with {n}', () => {
    expect(VersionFormat.parse('{n}-release').isLookalike('x')).toBe(false);
  });
});

describe('nextHotfix', () => {
  const versions = parseVersions(
    ['v0.0.417', 'v0.0.417-1', 'v0.0.417-2', 'v0.0.418', 'v0.0.416'],
    (name) => defaultFormat.parse(name),
  );

  it('is the base with the highest hotfix + 1', () => {
    expect(nextHotfix(defaultFormat, versions, 'v0.0.417').tag).toBe('v0.0.417-3');
    expect(nextHotfix(defaultFormat, versions, 'v0.0.417-1').tag).toBe('v0.0.417-3');
    expect(nextHotfix(defaultFormat, versions, 'v0.0.418').tag).toBe('v0.0.418-1');
  });

  it('accepts the git tag name with its prefix', () => {
    const format = VersionFormat.parse('v0.0.{n}', 'cms/');
    expect(nextHotfix(format, versions, 'cms/v0.0.416').tag).toBe('v0.0.416-1');
  });

  it('refuses a base that does not exist or does not match', () => {
    expect(() => nextHotfix(defaultFormat, versions, 'v0.0.500')).toThrow(
      'release v0.0.500 does not exist, so it cannot be hotfixed: give a release that was made, e.g. the newest, v0.0.418',
    );
    try {
      nextHotfix(defaultFormat, versions, 'v0.0.500');
    } catch (error) {
      // The action reports it as input 'hotfix-of' (kit's failureLine reads this).
      expect(error).toMatchObject({ input: 'hotfix-of' });
    }
    expect(() => nextHotfix(defaultFormat, versions, 'latest')).toThrow(
      /does not match the version format/,
    );
    // Only hotfixes of 419 exist, never the base: still refused.
    const orphans = parseVersions(['v0.0.419-1'], (name) => defaultFormat.parse(name));
    expect(() => nextHotfix(defaultFormat, orphans, 'v0.0.419')).toThrow(/does not exist/);
  });
});
