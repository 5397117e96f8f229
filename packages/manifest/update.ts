/**
 * Points every reference to an image in a manifests checkout at a new tag: reads the files in
 * scope, plans the edit in memory (edit.ts: the rules every driver shares), and only then writes,
 * all files or none.
 */
import { readFile, stat } from 'node:fs/promises';
import type { Logger } from '../kit/index.js';
import {
  planManifestEdit,
  prepareManifestEdit,
  type FileResult,
  type ManifestEdit,
  type ManifestSource,
  type SkippedFile,
} from './edit.js';
import { ManifestError, NotYamlError } from './errors.js';
import {
  resolveFiles,
  resolveRoot,
  writeAllOrNothing,
  type ManifestFile,
  type PendingWrite,
} from './files.js';
import type { Reference } from './rewrite.js';

export interface UpdateManifestsRequest extends ManifestEdit {
  /** The directory holding the manifests (a checkout of the manifests repository). */
  readonly root: string;
  /** Paths and globs relative to the root; default every `*.yaml` and `*.yml`. */
  readonly files?: readonly string[];
  /** Compute and report, write nothing. */
  readonly dryRun?: boolean;
  readonly logger: Logger;
  /**
   * Runs over the files read once the edit is planned, before anything is written (a dry run too);
   * a throw stops the update with nothing changed. The parameter check of ExternalSecrets goes here.
   */
  readonly beforeWrite?: (sources: readonly ManifestSource[]) => Promise<void>;
}

export interface UpdateManifestsResult {
  /** Every YAML file in scope, changed or not. */
  readonly files: FileResult[];
  readonly changedFiles: string[];
  readonly references: Reference[];
  readonly skipped: SkippedFile[];
  readonly previousVersion?: string;
  readonly downgradeReason?: string;
  /** A hotfix skipped this environment, already ahead of it (see ManifestEditPlan.ahead). */
  readonly ahead?: string;
  readonly diff: string;
  readonly dryRun: boolean;
  /** The checked edit as plain data: what the change step re-applies on a moved base. */
  readonly edit: ManifestEdit;
}

export const MAX_MANIFEST_BYTES = 2 * 1024 * 1024;

function mebibytes(bytes: number): string {
  return (bytes / (1024 * 1024)).toFixed(1).replace(/\.0$/, '');
}

function tooBig(file: ManifestFile, size: number): ManifestError {
  return new ManifestError(
    `${file.file} is larger than the ${mebibytes(MAX_MANIFEST_BYTES)} MiB a manifest may be (${mebibytes(size)} MiB); leave it out of 'files' (e.g. name the values files), or split it`,
    { input: 'files' },
  );
}

/** The files in scope as text; files that are not UTF-8 are skipped (an error when named). */
async function readSources(
  files: readonly ManifestFile[],
  imageLeaf: string,
  parseAll: boolean,
  logger: Logger,
): Promise<{ sources: ManifestSource[]; skipped: SkippedFile[] }> {
  // Sizes first: a huge named file fails the run before anything is read.
  const sizes = new Map<ManifestFile, number>();
  for (const file of files) {
    const { size } = await stat(file.absolutePath);
    if (file.explicit && size > MAX_MANIFEST_BYTES) throw tooBig(file, size);
    sizes.set(file, size);
  }
  const sources: ManifestSource[] = [];
  const skipped: SkippedFile[] = [];
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  for (const file of files) {
    let text: string;
    try {
      text = decoder.decode(await readFile(file.absolutePath));
    } catch {
      const error = new NotYamlError(file.file, 'is not UTF-8 text');
      if (file.explicit) throw error;
      logger.warning(`${error.message} (skipped)`);
      skipped.push({ file: file.file, reason: error.reason });
      continue;
    }
    // Only files that can name the image are held to the size limit (see planManifestEdit).
    const size = sizes.get(file) ?? 0;
    if (size > MAX_MANIFEST_BYTES && (parseAll || file.explicit || text.includes(imageLeaf))) {
      throw tooBig(file, size);
    }
    sources.push({ path: file.file, text, explicit: file.explicit });
  }
  return { sources, skipped };
}

export async function updateManifests(
  request: UpdateManifestsRequest,
): Promise<UpdateManifestsResult> {
  const { logger } = request;
  const edit = prepareManifestEdit(request);
  const root = await resolveRoot(request.root);
  const files = await resolveFiles(root, request.files, logger);
  const imageLeaf = edit.image.repository.slice(edit.image.repository.lastIndexOf('/') + 1);
  const read = await readSources(files, imageLeaf, edit.set.length > 0, logger);
  const plan = planManifestEdit(read.sources, edit, logger);
  await request.beforeWrite?.(read.sources);

  const dryRun = request.dryRun === true;
  if (!dryRun) {
    const absolute = new Map(files.map((file) => [file.file, file.absolutePath]));
    const writes: PendingWrite[] = plan.changes.map((change) => ({
      absolutePath: absolute.get(change.file) ?? change.file,
      before: change.before,
      after: change.after,
    }));
    await writeAllOrNothing(writes);
  }
  logger.info(
    `${dryRun ? 'would update' : 'updated'} ${String(plan.changedFiles.length)} of ${String(plan.files.length)} file(s); ${String(plan.references.length)} reference(s) to ${edit.record.image} found`,
  );
  return {
    files: plan.files,
    changedFiles: plan.changedFiles,
    references: plan.references,
    skipped: [...read.skipped, ...plan.skipped],
    ...(plan.previousVersion === undefined ? {} : { previousVersion: plan.previousVersion }),
    ...(plan.downgradeReason === undefined ? {} : { downgradeReason: plan.downgradeReason }),
    ...(plan.ahead === undefined ? {} : { ahead: plan.ahead }),
    diff: plan.diff,
    dryRun,
    edit: plan.overrides.length === 0 ? edit.record : { ...edit.record, overrides: plan.overrides },
  };
}
