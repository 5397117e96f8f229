/**
 * Points every reference to an image in a manifests tree at a new tag: validates the request,
 * computes every file's new text, checks the downgrade guard and set entries, and only then writes.
 */
import { readFile, stat } from 'node:fs/promises';
import type { Logger } from '../kit/index.js';
import { DEFAULT_FORMAT, latestVersion, VersionFormat, type Version } from '../version/index.js';
import { unifiedDiff } from './diff.js';
import { ManifestError, NotYamlError } from './errors.js';
import {
  resolveFiles,
  resolveRoot,
  writeAllOrNothing,
  type ManifestFile,
  type PendingWrite,
} from './files.js';
import { isValidDigest, isValidDockerTag, parseImageName } from './reference.js';
import { rewriteYaml, type Reference } from './rewrite.js';
import { parseSetEntry, type SetEntry } from './set-entry.js';

export interface UpdateManifestsRequest {
  /** The directory holding the manifests (a checkout of the manifests repository). */
  readonly root: string;
  /** Paths and globs relative to the root; default every `*.yaml` and `*.yml`. */
  readonly files?: readonly string[];
  /** Repository with or without registry host, no tag: `dsva/cms-drupal`. */
  readonly image: string;
  readonly tag: string;
  /** `sha256:<64 hex>`; references that carry a digest get it, or lose their old one. */
  readonly digest?: string;
  /** Explicit `path=value` entries, e.g. `web.envSecrets[name=DD_VERSION].value={version}`. */
  readonly set?: readonly string[];
  readonly format?: VersionFormat;
  readonly allowDowngrade?: boolean;
  readonly downgradeReason?: string;
  /** Fills `{sha}` in set entries. */
  readonly sha?: string;
  /** Compute and report, write nothing. */
  readonly dryRun?: boolean;
  readonly logger: Logger;
}

export interface FileResult {
  readonly file: string;
  readonly references: Reference[];
  readonly changed: boolean;
  /** Unified diff of the file; '' when unchanged. */
  readonly diff: string;
}

export interface SkippedFile {
  readonly file: string;
  readonly reason: string;
}

export interface UpdateManifestsResult {
  /** Every YAML file in scope, changed or not. */
  readonly files: FileResult[];
  readonly changedFiles: string[];
  readonly references: Reference[];
  /** Files a glob found that are not YAML (Helm templates); each also logged as a warning. */
  readonly skipped: SkippedFile[];
  /** The newest version of the format the image references held before. */
  readonly previousVersion?: string;
  /** Set when a downgrade was allowed, so the pull request and summary can show why. */
  readonly downgradeReason?: string;
  /** All files' diffs, one after another. */
  readonly diff: string;
  readonly dryRun: boolean;
}

interface ValidatedRequest {
  readonly tag: string;
  readonly digest: string | undefined;
  readonly set: SetEntry[];
  readonly format: VersionFormat;
}

/**
 * The largest manifest file parsed, in bytes. Kubernetes keeps an object in at most 1.5 MiB of
 * etcd (and a Helm release, values included, in a 1 MiB Secret), so a real values file or manifest
 * stays well below; parsing dense YAML costs seconds and hundreds of MB per MiB. A file named in
 * `files` that is bigger fails before anything is read; a bigger file a glob found fails only if it
 * names the image (it is not parsed otherwise, like every file that does not).
 */
export const MAX_MANIFEST_BYTES = 2 * 1024 * 1024;

function mebibytes(bytes: number): string {
  return (bytes / (1024 * 1024)).toFixed(1).replace(/\.0$/, '');
}

function validate(request: UpdateManifestsRequest): ValidatedRequest {
  const tag = request.tag.trim();
  if (tag === '') {
    throw new ManifestError('is empty; give the new image tag, e.g. v0.0.418', { input: 'tag' });
  }
  if (!isValidDockerTag(tag)) {
    throw new ManifestError(
      `'${tag}' is not a valid image tag; use up to 128 of [A-Za-z0-9_.-], not starting with '.' or '-'`,
      { input: 'tag' },
    );
  }
  const format = request.format ?? VersionFormat.parse(DEFAULT_FORMAT);
  if (format.isLookalike(tag)) {
    throw new ManifestError(
      `'${tag}' looks like a ${format.template} version but is not one; give a release tag, e.g. ${format.render(418).tag} (hotfix ${format.render(418, 1).tag}), or set 'format'`,
      { input: 'tag' },
    );
  }
  const digest = request.digest?.trim() === '' ? undefined : request.digest?.trim();
  if (digest !== undefined && !isValidDigest(digest)) {
    throw new ManifestError(`'${digest}' is not a digest; expected sha256: and 64 hex digits`, {
      input: 'digest',
    });
  }
  if (request.allowDowngrade === true && (request.downgradeReason ?? '').trim() === '') {
    throw new ManifestError(
      "a downgrade needs a reason: fill 'downgrade-reason' (it goes into the pull request), or drop 'allow-downgrade'",
      { input: 'downgrade-reason' },
    );
  }
  const set = (request.set ?? [])
    .filter((entry) => entry.trim() !== '')
    .map((entry) => parseSetEntry(entry.trim()));
  return { tag, digest, set, format };
}

function describeDowngrade(reference: Reference, tag: string): string {
  return `${reference.file}:${String(reference.line)} (${reference.keyPath}) holds ${reference.oldTag ?? ''}, newer than ${reference.kind === 'set' ? reference.newTag : tag}`;
}

export async function updateManifests(
  request: UpdateManifestsRequest,
): Promise<UpdateManifestsResult> {
  const { logger } = request;
  const image = parseImageName(request.image);
  const imageLeaf = image.repository.slice(image.repository.lastIndexOf('/') + 1);
  const { tag, digest, set, format } = validate(request);
  const root = await resolveRoot(request.root);
  const files = await resolveFiles(root, request.files, logger);

  const results: FileResult[] = [];
  const skipped: SkippedFile[] = [];
  const writes: PendingWrite[] = [];
  const setHits = new Set<string>();
  const tooBig = (file: ManifestFile, size: number): ManifestError =>
    new ManifestError(
      `${file.file} is larger than the ${mebibytes(MAX_MANIFEST_BYTES)} MiB a manifest may be (${mebibytes(size)} MiB); leave it out of 'files' (e.g. name the values files), or split it`,
      { input: 'files' },
    );
  // Sizes first: a huge named file fails the run before anything is read.
  const sizes = new Map<ManifestFile, number>();
  for (const file of files) {
    const { size } = await stat(file.absolutePath);
    if (file.explicit && size > MAX_MANIFEST_BYTES) throw tooBig(file, size);
    sizes.set(file, size);
  }
  for (const file of files) {
    const bytes = await readFile(file.absolutePath);
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
    } catch {
      const error = new NotYamlError(file.file, 'is not UTF-8 text');
      if (file.explicit) throw error;
      logger.warning(`${error.message} (skipped)`);
      skipped.push({ file: file.file, reason: error.reason });
      continue;
    }
    // A file found by a glob that never names the image's last path part cannot reference it:
    // skip parsing it (most files of a manifests repository). Set entries and named files are
    // always parsed, so their errors still surface.
    if (!file.explicit && set.length === 0 && !text.includes(imageLeaf)) {
      results.push({ file: file.file, references: [], changed: false, diff: '' });
      continue;
    }
    const size = sizes.get(file) ?? 0;
    if (size > MAX_MANIFEST_BYTES) throw tooBig(file, size);
    let rewritten: ReturnType<typeof rewriteYaml>;
    try {
      rewritten = rewriteYaml(text, file.file, {
        image,
        tag,
        set,
        format,
        ...(digest === undefined ? {} : { digest }),
        ...(request.sha === undefined ? {} : { placeholders: { sha: request.sha } }),
      });
    } catch (error: unknown) {
      if (!(error instanceof NotYamlError) || file.explicit) throw error;
      logger.warning(`${error.file}: skipped, it ${error.reason}`);
      skipped.push({ file: file.file, reason: error.reason });
      continue;
    }
    for (const hit of rewritten.setHits) setHits.add(hit);
    const changed = rewritten.text !== text;
    const diff = changed ? unifiedDiff(file.file, text, rewritten.edits) : '';
    results.push({ file: file.file, references: rewritten.references, changed, diff });
    if (changed)
      writes.push({ absolutePath: file.absolutePath, before: text, after: rewritten.text });
  }

  const missing = set.find((entry) => !setHits.has(entry.raw));
  if (missing) {
    throw new ManifestError(
      `entry '${missing.raw}': the path is in no document of the ${String(results.length)} file(s) in scope; check the path or 'files'`,
      { input: 'set' },
    );
  }

  const references = results.flatMap((result) => result.references);
  const downgrades = references.filter((reference) => reference.downgrade);
  const [firstDowngrade] = downgrades;
  if (firstDowngrade && request.allowDowngrade !== true) {
    const more = downgrades.length > 1 ? ` and ${String(downgrades.length - 1)} more` : '';
    throw new ManifestError(
      `refusing to downgrade to ${tag}: ${describeDowngrade(firstDowngrade, tag)}${more}; a rollback can lose data the newer release wrote, so set 'allow-downgrade' and give 'downgrade-reason' if it is intended`,
    );
  }
  const downgradeReason = firstDowngrade ? request.downgradeReason?.trim() : undefined;
  if (firstDowngrade && downgradeReason !== undefined) {
    logger.warning(
      `downgrading to ${tag} (${describeDowngrade(firstDowngrade, tag)}): ${downgradeReason}`,
    );
  }

  const previousVersions: Version[] = [];
  for (const reference of references) {
    if (reference.kind === 'set' || reference.oldTag === undefined) continue;
    const version = format.parse(reference.oldTag);
    if (version) previousVersions.push(version);
  }
  const previousVersion = latestVersion(previousVersions)?.tag;

  const dryRun = request.dryRun === true;
  if (!dryRun) await writeAllOrNothing(writes);
  const changedFiles = results.filter((result) => result.changed).map((result) => result.file);
  for (const result of results) {
    for (const reference of result.references) {
      logger.debug(
        `${reference.file}:${String(reference.line)} ${reference.keyPath}: ${reference.oldValue} -> ${reference.newValue}`,
      );
    }
  }
  logger.info(
    `${dryRun ? 'would update' : 'updated'} ${String(changedFiles.length)} of ${String(results.length)} file(s); ${String(references.length)} reference(s) to ${request.image.trim()} found`,
  );
  return {
    files: results,
    changedFiles,
    references,
    skipped,
    ...(previousVersion === undefined ? {} : { previousVersion }),
    ...(downgradeReason === undefined ? {} : { downgradeReason }),
    diff: results.map((result) => result.diff).join(''),
    dryRun,
  };
}
