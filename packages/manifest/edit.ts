/**
 * The manifest edit of a release, written once: which image gets which tag (and digest), the
 * explicit `set` entries, and the downgrade rule. update-manifest plans it over the files of a
 * checkout, the CLI over files read through the GitHub API, and the change step re-applies the very
 * same record to a base that moved meanwhile (update-manifest hands it on as its `edit` output).
 */
import { nonBlank, type Logger } from '../kit/index.js';
import { DEFAULT_FORMAT, latestVersion, VersionFormat, type Version } from '../version/index.js';
import { unifiedDiff } from './diff.js';
import { ManifestError, NotYamlError } from './errors.js';
import { isValidDigest, isValidDockerTag, parseImageName, type ImageName } from './reference.js';
import type { ValuesOverride } from './plan.js';
import { rewriteYaml, type Reference, type RewriteResult } from './rewrite.js';
import { parseSetEntry, type SetEntry } from './set-entry.js';

/** The edit as plain data: an action output, an action input, a CLI plan. */
export interface ManifestEdit {
  /** The image whose references move, e.g. `dsva/cms-drupal` or `<host>/dsva/cms-drupal`. */
  readonly image: string;
  readonly tag: string;
  /** Written too (`tag@digest`, `digest:` fields) when given; an old digest is dropped otherwise. */
  readonly digest?: string | undefined;
  /** Explicit `path=value` entries. */
  readonly set?: readonly string[] | undefined;
  /** The version template (or the parsed format), default `v0.0.{n}`. */
  readonly format?: string | VersionFormat | undefined;
  /** The released commit, for `{sha}` in `set` values. */
  readonly sha?: string | undefined;
  readonly allowDowngrade?: boolean | undefined;
  readonly downgradeReason?: string | undefined;
  /**
   * Layered values tags the plan found (see planManifestEdit), so that the edit made again on a
   * moved base changes them too.
   */
  readonly overrides?: readonly OverrideRecord[] | undefined;
}

/** A tag `file` overrides at `keyPath`, over the reference `of` (`<file>:<line> (<key path>)`). */
export interface OverrideRecord {
  readonly file: string;
  readonly keyPath: string;
  readonly of: string;
}

/** A checked edit, ready to apply. */
export interface PreparedEdit {
  readonly record: ManifestEdit;
  readonly image: ImageName;
  readonly tag: string;
  readonly digest: string | undefined;
  readonly set: readonly SetEntry[];
  readonly format: VersionFormat;
  readonly sha: string | undefined;
  readonly allowDowngrade: boolean;
  readonly downgradeReason: string | undefined;
  readonly overrides: readonly OverrideRecord[];
}

/** One file as read, before the edit. */
export interface ManifestSource {
  /** Path as reported (relative to the checkout, or in the repository). */
  readonly path: string;
  readonly text: string;
  /** Named without a glob: a problem with it is an error, not a skipped file. */
  readonly explicit: boolean;
}

export interface FileResult {
  readonly file: string;
  readonly references: Reference[];
  readonly changed: boolean;
  readonly diff: string;
}

export interface SkippedFile {
  readonly file: string;
  readonly reason: string;
}

/** A file the edit changes. */
export interface ManifestChange {
  readonly file: string;
  readonly before: string;
  readonly after: string;
  readonly diff: string;
}

export interface ManifestEditPlan {
  readonly files: FileResult[];
  readonly changes: ManifestChange[];
  readonly changedFiles: string[];
  readonly references: Reference[];
  readonly skipped: SkippedFile[];
  /** The newest release the references held before. */
  readonly previousVersion: string | undefined;
  /** Set when a downgrade was allowed. */
  readonly downgradeReason: string | undefined;
  /**
   * Set when a hotfix found this environment already ahead of it (the reference that is newer):
   * nothing changes there, which is not a refused downgrade.
   */
  readonly ahead?: string | undefined;
  readonly diff: string;
  /** The layered values tags changed as overrides (for the edit record). */
  readonly overrides: OverrideRecord[];
}

/** Checks the record once; every problem names the input that fixes it. */
export function prepareManifestEdit(edit: ManifestEdit): PreparedEdit {
  const tag = edit.tag.trim();
  if (tag === '') {
    throw new ManifestError('is empty; give the new image tag, e.g. v0.0.418', { input: 'tag' });
  }
  if (!isValidDockerTag(tag)) {
    throw new ManifestError(
      `'${tag}' is not a valid image tag; use up to 128 of [A-Za-z0-9_.-], not starting with '.' or '-'`,
      { input: 'tag' },
    );
  }
  const format =
    edit.format instanceof VersionFormat
      ? edit.format
      : VersionFormat.parse(nonBlank(edit.format) ?? DEFAULT_FORMAT);
  if (format.isLookalike(tag)) {
    throw new ManifestError(
      `'${tag}' looks like a ${format.template} version but is not one; give a release tag, e.g. ${format.render(418).tag} (hotfix ${format.render(418, 1).tag}), or set 'format'`,
      { input: 'tag' },
    );
  }
  const digest = nonBlank(edit.digest);
  if (digest !== undefined && !isValidDigest(digest)) {
    throw new ManifestError(`'${digest}' is not a digest; expected sha256: and 64 hex digits`, {
      input: 'digest',
    });
  }
  const downgradeReason = nonBlank(edit.downgradeReason);
  if (edit.allowDowngrade === true && downgradeReason === undefined) {
    throw new ManifestError(
      'a downgrade needs a reason (it goes into the pull request and the release): give it, or do not allow the downgrade',
      { input: 'downgrade-reason' },
    );
  }
  const set = (edit.set ?? [])
    .filter((entry) => entry.trim() !== '')
    .map((entry) => parseSetEntry(entry.trim()));
  const sha = nonBlank(edit.sha);
  const overrides = edit.overrides ?? [];
  for (const override of overrides) parseSetEntry(`${override.keyPath}=`);
  return {
    record: {
      image: edit.image.trim(),
      tag,
      ...(digest === undefined ? {} : { digest }),
      set: set.map((entry) => entry.raw),
      format: format.template,
      ...(sha === undefined ? {} : { sha }),
      allowDowngrade: edit.allowDowngrade === true,
      ...(downgradeReason === undefined ? {} : { downgradeReason }),
      ...(overrides.length === 0 ? {} : { overrides }),
    },
    image: parseImageName(edit.image),
    tag,
    digest,
    set,
    format,
    sha,
    allowDowngrade: edit.allowDowngrade === true,
    downgradeReason,
    overrides,
  };
}

/** Reads the JSON form (update-manifest's `edit` output) back; `input` names where it came from. */
export function parseManifestEdit(json: string, input: string): PreparedEdit {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (error: unknown) {
    throw new ManifestError(`is not JSON (${String(error)}): pass update-manifest's edit output`, {
      input,
    });
  }
  const record = value as Partial<Record<keyof ManifestEdit, unknown>> | null;
  const text = (key: keyof ManifestEdit): string | undefined => {
    const field = record?.[key];
    if (field === undefined || field === null) return undefined;
    if (typeof field !== 'string') {
      throw new ManifestError(`'${key}' must be a string: pass update-manifest's edit output`, {
        input,
      });
    }
    return field;
  };
  const set = record?.set ?? [];
  if (!Array.isArray(set) || set.some((entry) => typeof entry !== 'string')) {
    throw new ManifestError(`'set' must be a list of strings: pass update-manifest's edit output`, {
      input,
    });
  }
  const overrides = record?.overrides ?? [];
  const isOverride = (entry: unknown): entry is OverrideRecord =>
    typeof entry === 'object' &&
    entry !== null &&
    ['file', 'keyPath', 'of'].every(
      (field) => typeof (entry as Record<string, unknown>)[field] === 'string',
    );
  if (!Array.isArray(overrides) || !overrides.every(isOverride)) {
    throw new ManifestError(
      `'overrides' must be a list of {file, keyPath, of}: pass update-manifest's edit output`,
      { input },
    );
  }
  const image = text('image');
  const tag = text('tag');
  if (record === null || typeof record !== 'object' || image === undefined || tag === undefined) {
    throw new ManifestError(`needs 'image' and 'tag': pass update-manifest's edit output`, {
      input,
    });
  }
  return prepareManifestEdit({
    image,
    tag,
    digest: text('digest'),
    set: set as string[],
    format: text('format'),
    sha: text('sha'),
    allowDowngrade: record.allowDowngrade === true,
    downgradeReason: text('downgradeReason'),
    overrides,
  });
}

function rewrite(
  source: ManifestSource,
  edit: PreparedEdit,
  overrides: readonly ValuesOverride[] = [],
) {
  return rewriteYaml(source.text, source.path, {
    image: edit.image,
    tag: edit.tag,
    set: edit.set,
    format: edit.format,
    ...(edit.digest === undefined ? {} : { digest: edit.digest }),
    ...(edit.sha === undefined ? {} : { placeholders: { sha: edit.sha } }),
    ...(overrides.length === 0 ? {} : { overrides }),
  });
}

/** `values.yaml`, `values-prod.yaml`, `values.staging.yml`, `prod-values.yaml`: a chart's values layers. */
const VALUES_FILE = /^(?:values(?:[-._][^/]*)?|[^/]*[-._]values)\.ya?ml$/i;

function folderOf(file: string): string {
  return file.slice(0, file.lastIndexOf('/') + 1);
}

function isValuesFile(file: string): boolean {
  return VALUES_FILE.test(file.slice(file.lastIndexOf('/') + 1));
}

interface Planned {
  readonly source: ManifestSource;
  /** Undefined for a file not parsed (it never names the image). */
  rewritten: RewriteResult | undefined;
}

/**
 * Layered values: a values file that holds, at the key path of a `repository` + `tag` reference
 * found in another values file of the same folder, a tag of its own overrides that reference (Argo
 * CD and `helm -f` layer them); each such file is planned again with those paths.
 */
function valuesOverrides(planned: readonly Planned[]): Map<Planned, ValuesOverride[]> {
  const bases = new Map<string, Reference[]>();
  for (const entry of planned) {
    if (!isValuesFile(entry.source.path)) continue;
    for (const reference of entry.rewritten?.references ?? []) {
      if (reference.kind !== 'helm-values') continue;
      const folder = folderOf(reference.file);
      bases.set(folder, [...(bases.get(folder) ?? []), reference]);
    }
  }
  const result = new Map<Planned, ValuesOverride[]>();
  if (bases.size === 0) return result;
  for (const entry of planned) {
    const file = entry.source.path;
    const candidates = isValuesFile(file) ? bases.get(folderOf(file)) : undefined;
    if (candidates === undefined) continue;
    const own = new Set((entry.rewritten?.references ?? []).map((reference) => reference.keyPath));
    const overrides: ValuesOverride[] = [];
    for (const reference of candidates) {
      if (reference.file === file || own.has(reference.keyPath)) continue;
      if (overrides.some((override) => override.keyPath === reference.keyPath)) continue;
      overrides.push({
        keyPath: reference.keyPath,
        path: parseSetEntry(`${reference.keyPath}=`).path,
        of: `${reference.file}:${String(reference.line)} (${reference.keyPath})`,
      });
    }
    if (overrides.length > 0) result.set(entry, overrides);
  }
  return result;
}

function describeDowngrade(reference: Reference): string {
  return `${reference.file}:${String(reference.line)} (${reference.keyPath}) holds ${reference.oldTag ?? ''}, newer than ${reference.newTag}`;
}

/** The newest release the references held before. */
function previousVersionOf(
  references: readonly Reference[],
  format: VersionFormat,
): string | undefined {
  const previous: Version[] = [];
  for (const reference of references) {
    if (reference.kind === 'set' || reference.oldTag === undefined) continue;
    const version = format.parse(reference.oldTag);
    if (version) previous.push(version);
  }
  return latestVersion(previous)?.tag;
}

/**
 * A hotfix goes to the environments that run the release it fixes (or an older one); one already
 * ahead of it is skipped, not downgraded and not refused. Only an allowed downgrade moves it back.
 */
function hotfixAhead(references: readonly Reference[], edit: PreparedEdit): string | undefined {
  if (edit.allowDowngrade || (edit.format.parse(edit.tag)?.hotfix ?? 0) === 0) return undefined;
  const newer = references.find((reference) => reference.kind !== 'set' && reference.downgrade);
  return newer === undefined ? undefined : describeDowngrade(newer);
}

/**
 * Refuses a downgrade unless it is allowed with a reason: part of the state (the database schema)
 * only moves forward, so a rollback can lose data. Returns the reason when one was allowed.
 */
export function guardDowngrade(
  references: readonly Reference[],
  edit: PreparedEdit,
): string | undefined {
  const downgrades = references.filter((reference) => reference.downgrade);
  const [first] = downgrades;
  if (first === undefined) return undefined;
  if (!edit.allowDowngrade) {
    const more = downgrades.length > 1 ? ` and ${String(downgrades.length - 1)} more` : '';
    throw new ManifestError(
      `refusing to downgrade to ${edit.tag}: ${describeDowngrade(first)}${more}; a rollback can lose data the newer release wrote, so set allow-downgrade and give a downgrade reason if it is intended`,
    );
  }
  return edit.downgradeReason;
}

/**
 * The edit over every source, in memory: references, changes and diffs, with the `set` and
 * downgrade rules applied. A source found by a glob that never names the image's last path part
 * cannot reference it and is not parsed (most files of a manifests repository).
 */
export function planManifestEdit(
  sources: Iterable<ManifestSource>,
  edit: PreparedEdit,
  logger: Logger,
): ManifestEditPlan {
  const imageLeaf = edit.image.repository.slice(edit.image.repository.lastIndexOf('/') + 1);
  const files: FileResult[] = [];
  const changes: ManifestChange[] = [];
  const skipped: SkippedFile[] = [];
  const setHits = new Set<string>();
  const planned: Planned[] = [];
  const attempt = (source: ManifestSource, overrides?: ValuesOverride[]): boolean => {
    try {
      const rewritten = rewrite(source, edit, overrides);
      for (const hit of rewritten.setHits) setHits.add(hit);
      const existing = planned.find((entry) => entry.source === source);
      if (existing) existing.rewritten = rewritten;
      else planned.push({ source, rewritten });
      return true;
    } catch (error: unknown) {
      if (!(error instanceof NotYamlError) || source.explicit) throw error;
      logger.warning(`${error.file}: skipped, it ${error.reason}`);
      skipped.push({ file: source.path, reason: error.reason });
      return false;
    }
  };
  for (const source of sources) {
    if (!source.explicit && edit.set.length === 0 && !source.text.includes(imageLeaf)) {
      planned.push({ source, rewritten: undefined });
      continue;
    }
    attempt(source);
  }
  for (const [entry, overrides] of valuesOverrides(planned)) {
    if (!attempt(entry.source, overrides)) planned.splice(planned.indexOf(entry), 1);
  }
  for (const { source, rewritten } of planned) {
    if (!rewritten) {
      files.push({ file: source.path, references: [], changed: false, diff: '' });
      continue;
    }
    const changed = rewritten.text !== source.text;
    const diff = changed ? unifiedDiff(source.path, source.text, rewritten.edits) : '';
    files.push({ file: source.path, references: rewritten.references, changed, diff });
    if (changed) {
      changes.push({ file: source.path, before: source.text, after: rewritten.text, diff });
    }
  }
  const missing = edit.set.find((entry) => !setHits.has(entry.raw));
  if (missing) {
    throw new ManifestError(
      `entry '${missing.raw}': the path is in no document of the ${String(files.length)} file(s) in scope; check the path or the files`,
      { input: 'set' },
    );
  }
  const references = files.flatMap((file) => file.references);
  const ahead = hotfixAhead(references, edit);
  if (ahead !== undefined) {
    logger.info(
      `${edit.tag} is a hotfix and this environment is already ahead of it (${ahead}): nothing to change here`,
    );
    return {
      files: files.map((file) => ({ ...file, changed: false, diff: '' })),
      changes: [],
      changedFiles: [],
      references,
      skipped,
      previousVersion: previousVersionOf(references, edit.format),
      downgradeReason: undefined,
      ahead,
      diff: '',
      overrides: [],
    };
  }
  const downgradeReason = guardDowngrade(references, edit);
  if (downgradeReason !== undefined) {
    const first = references.find((reference) => reference.downgrade);
    logger.warning(
      `downgrading to ${edit.tag}${first ? ` (${describeDowngrade(first)})` : ''}: ${downgradeReason}`,
    );
  }
  for (const reference of references) {
    if (reference.overrideOf === undefined) continue;
    logger.info(
      `${reference.file}:${String(reference.line)} (${reference.keyPath}): override of ${reference.overrideOf}, changed too`,
    );
  }
  for (const reference of references) {
    if (reference.droppedDigest === undefined) continue;
    logger.warning(
      `${reference.file}:${String(reference.line)} (${reference.keyPath}): dropped the digest ${reference.droppedDigest} that pinned ${reference.oldTag ?? 'the old image'}, as no new digest was given; pass 'digest' to pin ${edit.tag}`,
    );
  }
  for (const reference of references) {
    logger.debug(
      `${reference.file}:${String(reference.line)} ${reference.keyPath}: ${reference.oldValue} -> ${reference.newValue}`,
    );
  }
  return {
    files,
    changes,
    changedFiles: changes.map((change) => change.file),
    references,
    skipped,
    previousVersion: previousVersionOf(references, edit.format),
    downgradeReason,
    diff: changes.map((change) => change.diff).join(''),
    overrides: references.flatMap((reference) =>
      reference.overrideOf === undefined
        ? []
        : [{ file: reference.file, keyPath: reference.keyPath, of: reference.overrideOf }],
    ),
  };
}

/**
 * The edit made again on a file someone changed since it was read (a base that moved while the
 * release ran), under the same rules: the same `set` entries, the same digest decision, the
 * downgrade guard against what is there now.
 */
export function reapplyManifestEdit(
  path: string,
  current: string,
  edit: PreparedEdit,
  explicit = true,
): string {
  const overrides = edit.overrides
    .filter((override) => override.file === path)
    .map((override) => ({
      keyPath: override.keyPath,
      path: parseSetEntry(`${override.keyPath}=`).path,
      of: override.of,
    }));
  const rewritten = rewrite({ path, text: current, explicit }, edit, overrides);
  guardDowngrade(rewritten.references, edit);
  return rewritten.text;
}
