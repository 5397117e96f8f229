/**
 * Release version tags: parse, order and step them.
 *
 * A format is a template with exactly one `{n}` (default `v0.0.{n}`). A hotfix of release N is
 * `<format with N>-k` (k >= 1) and sorts after N and every lower hotfix of N, before N + 1. That is
 * deliberately NOT semver's prerelease order (semver puts `0.0.417-1` before `0.0.417`).
 *
 * Only canonical numbers count: `v0.0.07` and `v0.0.417-01` are ignored, because accepting them would
 * give two tag names the same place in the order and `07` is not a tag this suite ever writes.
 *
 * So do numbers above MAX_RELEASE_NUMBER: anyone who can push a tag or an image could otherwise plant
 * `v0.0.9007199254740991`, after which N + 1 is no longer an exact number and every release fails.
 */

import { GitOpsError } from '../kit/errors.js';

export const DEFAULT_FORMAT = 'v0.0.{n}';

/**
 * The highest release number N and hotfix number k this suite reads or writes. A billion releases
 * is far beyond any real cadence, and N + 1 stays an exact integer however far past it a junk tag goes.
 */
export const MAX_RELEASE_NUMBER = 999_999_999;

/**
 * A problem with a template, prefix or tag. `input` names the input (and CLI option) at fault where
 * this package knows it: `format`, `git-tag-prefix`, `start-at`, `hotfix-of`.
 */
export class VersionError extends GitOpsError {
  override name = 'VersionError';
}

export interface Version {
  /** The release number N. */
  readonly number: number;
  /** The hotfix index k; 0 for a normal release. */
  readonly hotfix: number;
  /** The image tag, e.g. `v0.0.417-2`. */
  readonly tag: string;
}

const PLACEHOLDER = '{n}';
// Docker's tag grammar: [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}.
const TAG_CHARACTERS = /^[A-Za-z0-9_.-]*$/;
const MAX_TAG_LENGTH = 128;
// Git refuses these anywhere in a ref name (git-check-ref-format), so a prefix containing them can never be a tag.
const BAD_GIT_PREFIX = /(\.\.|[\s~^:?*[\\]|@\{|\/\/|^\/|\.lock\/|\/\.)/;
const NUMBER = '(0|[1-9][0-9]*)';

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function toReleaseNumber(digits: string): number | undefined {
  // Compared as text first: `Number()` of a huge digit string rounds, and may round down into range.
  if (digits.length > String(MAX_RELEASE_NUMBER).length) return undefined;
  const value = Number(digits);
  return value <= MAX_RELEASE_NUMBER ? value : undefined;
}

/** The one-line warning for a tag that isOutOfRange, naming the tag and where it was found. */
export function outOfRangeWarning(tag: string, source: string): string {
  return `ignoring tag ${tag} in ${source}: release and hotfix numbers above ${String(MAX_RELEASE_NUMBER)} are not releases this suite writes; delete the tag if it was pushed by mistake`;
}

export class VersionFormat {
  readonly template: string;
  readonly gitTagPrefix: string;
  private readonly head: string;
  private readonly tail: string;
  private readonly pattern: RegExp;

  private constructor(template: string, gitTagPrefix: string) {
    this.template = template;
    this.gitTagPrefix = gitTagPrefix;
    const at = template.indexOf(PLACEHOLDER);
    this.head = template.slice(0, at);
    this.tail = template.slice(at + PLACEHOLDER.length);
    this.pattern = new RegExp(
      `^${escapeRegExp(this.head)}${NUMBER}${escapeRegExp(this.tail)}(?:-([1-9][0-9]*))?$`,
    );
  }

  /** Validates a template such as `v0.0.{n}` and an optional git-only tag prefix such as `cms/`. */
  static parse(template: string, gitTagPrefix = ''): VersionFormat {
    const count = template.split(PLACEHOLDER).length - 1;
    if (count !== 1) {
      throw new VersionError(
        `"${template}" must contain {n} exactly once (found ${String(count)}), e.g. v0.0.{n}`,
        { input: 'format' },
      );
    }
    const fixed = template.replace(PLACEHOLDER, '');
    if (!TAG_CHARACTERS.test(fixed) || /^[.-]/.test(template)) {
      throw new VersionError(
        `"${template}" may only hold letters, digits, '_', '.', '-' around {n} and must not start with '.' or '-', because it becomes an image tag`,
        { input: 'format' },
      );
    }
    if (/-[0-9]*$/.test(template.slice(template.indexOf(PLACEHOLDER) + PLACEHOLDER.length))) {
      throw new VersionError(
        `"${template}" must not end in '-' or '-<digits>' after {n}: that is where hotfix numbers go`,
        { input: 'format' },
      );
    }
    if (gitTagPrefix !== '' && BAD_GIT_PREFIX.test(gitTagPrefix)) {
      throw new VersionError(`"${gitTagPrefix}" is not a valid start of a git tag name`, {
        input: 'git-tag-prefix',
      });
    }
    return new VersionFormat(template, gitTagPrefix);
  }

  /** The literal start every matching image tag shares; narrows tag listings (`v0.0.`). */
  get tagPrefix(): string {
    return this.head;
  }

  /** The literal start every matching git tag shares (`cms/v0.0.`). */
  get gitTagListPrefix(): string {
    return this.gitTagPrefix + this.head;
  }

  /**
   * A tag that starts like this format's versions (ignoring case) but is not one: `v0.0.x`,
   * `v0.0.-1`, `v0.0.1--2`, `V0.0.5`. Almost always a typo or a mis-wired output, never a tag this
   * suite writes; a tag of another shape (`latest`, `sha-abc`) is not a lookalike.
   */
  isLookalike(tag: string): boolean {
    return (
      this.head !== '' &&
      tag.toLowerCase().startsWith(this.head.toLowerCase()) &&
      this.parse(tag) === undefined
    );
  }

  /**
   * Parses an image tag; undefined for names of another shape (`latest`, `sha-abc`, `v0.0.07`) and
   * for numbers above MAX_RELEASE_NUMBER (see isOutOfRange).
   */
  parse(imageTag: string): Version | undefined {
    const match = this.pattern.exec(imageTag);
    if (!match?.[1]) return undefined;
    const number = toReleaseNumber(match[1]);
    const hotfix = match[2] === undefined ? 0 : toReleaseNumber(match[2]);
    if (number === undefined || hotfix === undefined) return undefined;
    return { number, hotfix, tag: imageTag };
  }

  /**
   * A tag of exactly this format's shape whose N or k is above MAX_RELEASE_NUMBER: parse ignores it,
   * and a version source says so (outOfRangeWarning) instead of silently dropping it.
   */
  isOutOfRange(imageTag: string): boolean {
    return this.pattern.test(imageTag) && this.parse(imageTag) === undefined;
  }

  /** isOutOfRange for a git tag name (with or without `refs/tags/`) carrying the git tag prefix. */
  isOutOfRangeGitTag(gitTag: string): boolean {
    const name = this.withoutGitTagPrefix(gitTag);
    return name !== undefined && this.isOutOfRange(name);
  }

  /** Parses a git tag name (with or without `refs/tags/`), requiring the git tag prefix. */
  parseGitTag(gitTag: string): Version | undefined {
    const name = this.withoutGitTagPrefix(gitTag);
    return name === undefined ? undefined : this.parse(name);
  }

  private withoutGitTagPrefix(gitTag: string): string | undefined {
    const name = gitTag.startsWith('refs/tags/') ? gitTag.slice('refs/tags/'.length) : gitTag;
    return name.startsWith(this.gitTagPrefix) ? name.slice(this.gitTagPrefix.length) : undefined;
  }

  /** Parses what a person typed: an image tag, or a git tag carrying the prefix. */
  parseEither(name: string): Version | undefined {
    return this.parse(name) ?? this.parseGitTag(name);
  }

  render(number: number, hotfix = 0): Version {
    if (!Number.isSafeInteger(number) || number < 0) {
      throw new VersionError(`release number ${String(number)} is not a whole number >= 0`);
    }
    if (!Number.isSafeInteger(hotfix) || hotfix < 0) {
      throw new VersionError(`hotfix number ${String(hotfix)} is not a whole number >= 0`);
    }
    if (number > MAX_RELEASE_NUMBER || hotfix > MAX_RELEASE_NUMBER) {
      // Written, it would be ignored on the next read and handed out again.
      throw new VersionError(
        `${String(Math.max(number, hotfix))} is above ${String(MAX_RELEASE_NUMBER)}, the highest release or hotfix number this suite writes: start a new format, e.g. v0.1.{n}`,
      );
    }
    const base = `${this.head}${String(number)}${this.tail}`;
    const tag = hotfix === 0 ? base : `${base}-${String(hotfix)}`;
    if (tag.length > MAX_TAG_LENGTH) {
      throw new VersionError(
        `"${tag}" is longer than the ${String(MAX_TAG_LENGTH)} characters an image tag may have`,
      );
    }
    return { number, hotfix, tag };
  }

  gitTag(version: Version): string {
    return this.gitTagPrefix + version.tag;
  }
}

/** Numeric release order: by N, then hotfix k (a normal release is k = 0). */
export function compareVersions(a: Version, b: Version): number {
  return a.number - b.number || a.hotfix - b.hotfix;
}

/** Parses names (one source's tags), dropping those that do not match, oldest release first. */
export function parseVersions(
  names: Iterable<string>,
  parse: (name: string) => Version | undefined,
): Version[] {
  const versions: Version[] = [];
  for (const name of names) {
    const version = parse(name);
    if (version) versions.push(version);
  }
  return versions.sort(compareVersions);
}

/** The newest version, or undefined for none. One pass: no sort needed to find a maximum. */
export function latestVersion(versions: Iterable<Version>): Version | undefined {
  let latest: Version | undefined;
  for (const version of versions) {
    if (!latest || compareVersions(version, latest) > 0) latest = version;
  }
  return latest;
}

export interface NextVersionOptions {
  /** The first N when no version exists; also a floor, so a team can skip ahead. Default 1. */
  readonly startAt?: number;
}

/** Next normal release: max N over every source + 1 (a hotfix counts as its base N). */
export function nextVersion(
  format: VersionFormat,
  versions: Iterable<Version>,
  options: NextVersionOptions = {},
): Version {
  const startAt = options.startAt ?? 1;
  if (!Number.isSafeInteger(startAt) || startAt < 1) {
    throw new VersionError(`start number ${String(startAt)} is not a positive whole number`, {
      input: 'start-at',
    });
  }
  if (startAt > MAX_RELEASE_NUMBER) {
    throw new VersionError(
      `start number ${String(startAt)} is above ${String(MAX_RELEASE_NUMBER)}, the highest release number this suite writes: give a smaller one`,
      { input: 'start-at' },
    );
  }
  const latest = latestVersion(versions);
  return format.render(Math.max(latest ? latest.number + 1 : startAt, startAt));
}

/**
 * Next hotfix of a release: `<base>-(max k + 1)`. The base release must exist in `versions`, since a
 * hotfix of a release that never happened cannot be ordered against anything.
 */
export function nextHotfix(
  format: VersionFormat,
  versions: Iterable<Version>,
  hotfixOf: string,
): Version {
  const requested = format.parseEither(hotfixOf);
  if (!requested) {
    throw new VersionError(
      `"${hotfixOf}" does not match the version format ${format.template}${
        format.gitTagPrefix ? ` (git tag prefix ${format.gitTagPrefix})` : ''
      }`,
      { input: 'hotfix-of' },
    );
  }
  let baseExists = false;
  let maxHotfix = 0;
  let newestRelease: Version | undefined;
  for (const version of versions) {
    if (version.hotfix === 0 && (!newestRelease || version.number > newestRelease.number)) {
      newestRelease = version;
    }
    if (version.number !== requested.number) continue;
    if (version.hotfix === 0) baseExists = true;
    maxHotfix = Math.max(maxHotfix, version.hotfix);
  }
  const base = format.render(requested.number);
  if (!baseExists) {
    throw new VersionError(
      `release ${base.tag} does not exist, so it cannot be hotfixed: give a release that was made${
        newestRelease ? `, e.g. the newest, ${newestRelease.tag}` : ''
      }`,
      { input: 'hotfix-of' },
    );
  }
  return format.render(requested.number, maxHotfix + 1);
}
