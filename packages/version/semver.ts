/**
 * Semver-shaped image tags (`v3.4.5`, `1.2.3-rc.1`) and semver's precedence, for the downgrade guard
 * on tags outside the release format. Only what a Docker tag can hold: an optional `v`, three
 * canonical numbers and an optional prerelease; build metadata (`+…`) cannot be in a tag.
 */

export interface SemverTag {
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
  /** Prerelease identifiers, numbers as numbers; empty for a release. */
  readonly prerelease: readonly (string | number)[];
}

const NUMBER = '(0|[1-9][0-9]*)';
const IDENTIFIER = '(?:0|[1-9][0-9]*|[0-9]*[A-Za-z-][0-9A-Za-z-]*)';
const SEMVER = new RegExp(
  `^v?${NUMBER}\\.${NUMBER}\\.${NUMBER}(?:-(${IDENTIFIER}(?:\\.${IDENTIFIER})*))?$`,
);

/** The tag as semver, or undefined when it is not exactly one (`1.25`, `01.2.3`, `latest`). */
export function parseSemverTag(tag: string): SemverTag | undefined {
  const match = SEMVER.exec(tag);
  if (!match) return undefined;
  const [major, minor, patch] = [match[1], match[2], match[3]].map(Number);
  if (![major, minor, patch].every((part) => Number.isSafeInteger(part))) return undefined;
  const prerelease = (match[4] ?? '')
    .split('.')
    .filter((identifier) => identifier !== '')
    .map((identifier) => (/^[0-9]+$/.test(identifier) ? Number(identifier) : identifier));
  return { major: major ?? 0, minor: minor ?? 0, patch: patch ?? 0, prerelease };
}

function compareIdentifiers(a: string | number, b: string | number): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  // Numeric identifiers have lower precedence than alphanumeric ones.
  if (typeof a === 'number') return -1;
  if (typeof b === 'number') return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Semver precedence: negative when `a` is older, positive when newer, 0 when equal. */
export function compareSemverTags(a: SemverTag, b: SemverTag): number {
  const core = a.major - b.major || a.minor - b.minor || a.patch - b.patch;
  if (core !== 0) return core;
  // A prerelease is older than its release.
  if (a.prerelease.length === 0 || b.prerelease.length === 0) {
    return b.prerelease.length - a.prerelease.length;
  }
  for (let index = 0; index < Math.min(a.prerelease.length, b.prerelease.length); index++) {
    const order = compareIdentifiers(a.prerelease[index] ?? 0, b.prerelease[index] ?? 0);
    if (order !== 0) return order;
  }
  return a.prerelease.length - b.prerelease.length;
}
