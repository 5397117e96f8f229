/**
 * The manifests step without a checkout: the app's manifest files read at the tip of the base
 * branch through the Git Data API (one tree, one blob each), and the release's edit planned over
 * them in memory (packages/manifest/edit.ts, the same rules update-manifest applies to a checkout).
 */
import { posix } from 'node:path';
import picomatch from 'picomatch';
import { registryHost } from '../ecr/index.js';
import { listTreeBlobs, readBlob, readBranchTip, type GitHubRepository } from '../github/index.js';
import type { Logger } from '../kit/index.js';
import {
  DEFAULT_FILE_PATTERNS,
  formatImageName,
  ManifestError,
  NotYamlError,
  parseImageName,
  planManifestEdit,
  type ImageName,
  type ManifestEditPlan,
  type ManifestSource,
  type PreparedEdit,
} from '../manifest/index.js';

export interface SelectedManifest {
  /** Path in the repository. */
  readonly path: string;
  /** Named without a glob: a problem with it is an error, not a skipped file. */
  readonly explicit: boolean;
}

function leavesRoot(entry: string): boolean {
  return entry.startsWith('/') || /(^|\/)\.\.(\/|$)/.test(entry);
}

/**
 * The files of a repository tree that a release looks at: under `root`, matching `entries` (paths,
 * directories and globs relative to `root`; default every `*.yaml` and `*.yml`).
 */
export function selectManifestFiles(
  treePaths: Iterable<string>,
  root: string,
  entries: readonly string[] | undefined,
): SelectedManifest[] {
  const prefix = root === '' ? '' : `${root}/`;
  const where = root === '' ? 'the repository' : root;
  const relative = new Set(
    [...treePaths]
      .filter((path) => path.startsWith(prefix))
      .map((path) => path.slice(prefix.length)),
  );
  const given = (entries ?? []).map((entry) => entry.trim()).filter((entry) => entry !== '');
  const matchers: picomatch.Matcher[] = [];
  const selected = new Map<string, boolean>();
  for (const entry of given.length > 0 ? given : DEFAULT_FILE_PATTERNS) {
    if (leavesRoot(entry)) {
      throw new ManifestError(`'${entry}' leaves ${where}: give a path relative to it`, {
        input: 'files',
      });
    }
    const normalized = posix.normalize(entry).replace(/\/+$/, '');
    if (picomatch.scan(normalized).isGlob) {
      matchers.push(picomatch(normalized, { dot: true }));
    } else if (relative.has(normalized)) {
      selected.set(normalized, true);
    } else if ([...relative].some((path) => path.startsWith(`${normalized}/`))) {
      // A directory stands for the YAML files below it.
      for (const pattern of DEFAULT_FILE_PATTERNS) {
        matchers.push(picomatch(`${normalized}/${pattern}`, { dot: true }));
      }
    } else {
      throw new ManifestError(`'${entry}' is not in ${where}: check the path`, { input: 'files' });
    }
  }
  for (const path of relative) {
    if (!selected.has(path) && matchers.some((matcher) => matcher(path))) {
      selected.set(path, false);
    }
  }
  return [...selected]
    .map(([path, explicit]) => ({ path: prefix + path, explicit }))
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

export interface ManifestsAtBase {
  readonly baseSha: string;
  readonly sources: ManifestSource[];
}

/** Reads the selected manifests at the tip of `base`. */
export async function readManifestsAtBase(
  repository: GitHubRepository,
  base: string,
  root: string,
  files: readonly string[] | undefined,
): Promise<ManifestsAtBase> {
  const tip = await readBranchTip(repository, base);
  if (tip === undefined) {
    throw new Error(
      `branch ${base} was not found in ${repository.fullName}: check the base branch and that the token can read the repository`,
    );
  }
  const blobs = await listTreeBlobs(repository, tip.treeSha);
  if (blobs === undefined) {
    throw new Error(
      `${repository.fullName} is too large for one tree listing: name the manifest files explicitly`,
    );
  }
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  const sources: ManifestSource[] = [];
  for (const file of selectManifestFiles(blobs.keys(), root, files)) {
    const blob = blobs.get(file.path);
    if (blob === undefined) continue;
    const bytes = await readBlob(repository, blob.sha);
    let text: string;
    try {
      text = decoder.decode(bytes);
    } catch {
      if (file.explicit) throw new NotYamlError(file.path, 'is not UTF-8 text');
      continue;
    }
    sources.push({ path: file.path, text, explicit: file.explicit });
  }
  return { baseSha: tip.sha, sources };
}

/** The planned edit of the manifests at one base commit. */
export interface ManifestPlan extends ManifestEditPlan {
  readonly repository: string;
  readonly base: string;
  /** The base commit the files were read at. */
  readonly baseSha: string;
  /** What the manifests reference, e.g. `<account>.dkr.ecr.<region>.amazonaws.com/dsva/cms-drupal`. */
  readonly image: string;
  readonly sources: readonly ManifestSource[];
}

/** Plans the edit over the manifests read at `base`; no reference at all is an error. */
export function planManifests(
  read: ManifestsAtBase,
  edit: PreparedEdit,
  where: { readonly repository: string; readonly base: string },
  logger: Logger,
): ManifestPlan {
  const plan = planManifestEdit(read.sources, edit, logger);
  if (plan.references.length === 0) {
    throw new ManifestError(
      `no reference to ${formatImageName(edit.image)} in the ${String(plan.files.length)} YAML file(s) read from ${where.repository}@${where.base}: check the manifests path and files`,
    );
  }
  return {
    ...plan,
    repository: where.repository,
    base: where.base,
    baseSha: read.baseSha,
    image: formatImageName(edit.image),
    sources: read.sources,
  };
}

/** The host Argo CD pulls from, when the account is known; else any host with this repository path. */
export function manifestImageName(target: {
  readonly repository: string;
  readonly region: string;
  readonly registryId?: string | undefined;
  readonly fips?: boolean | undefined;
}): ImageName {
  if (target.registryId === undefined) return parseImageName(target.repository);
  const host = registryHost({
    accountId: target.registryId,
    region: target.region,
    ...(target.fips === undefined ? {} : { fips: target.fips }),
  });
  return parseImageName(`${host}/${target.repository}`);
}
