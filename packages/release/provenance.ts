/**
 * The image's provenance record: what this suite pushed for a release tag, kept in the body of the
 * app repository's GitHub release of the version's git tag (a draft from the push until the release
 * finishes, then the published release). Writing it takes `contents: write` on the app repository,
 * which a person who can only push images to ECR does not have, so an image under the next,
 * predictable tag is this release's only when the record names it (packages/docker/publish.ts).
 * The record is a JSON object in an HTML comment: hidden on the release page, kept verbatim.
 */
import type { ImageRecord, ImageRecordStore } from '../docker/index.js';
import type { GitHubRepository, ReleaseInfo } from '../github/index.js';
import { InputError } from '../kit/index.js';
import type { ReleaseImageFacts } from './facts.js';

const MARKER = 'gitops-release-image';
const RECORD = new RegExp(`<!-- ${MARKER} (\\{[^\\n]*?\\}) -->`);
const FIELDS = [
  'repository',
  'tag',
  'imageId',
  'digest',
  'revision',
  'promotedFrom',
  'run',
  'builtBy',
] as const;

/** The record as it goes into a release body. `<`, `>` escaped: a field cannot end the comment. */
export function recordComment(record: ImageRecord): string {
  const json = JSON.stringify(record).replaceAll('<', '\\u003c').replaceAll('>', '\\u003e');
  return `<!-- ${MARKER} ${json} -->`;
}

/** The record in a release body; undefined when there is none, or it is not one this suite wrote. */
export function parseRecord(body: string): ImageRecord | undefined {
  const match = RECORD.exec(body);
  if (match?.[1] === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(match[1]);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const fields = parsed as Record<string, unknown>;
  const record: Record<string, string> = {};
  for (const field of FIELDS) {
    const value = fields[field];
    if (value === undefined) continue;
    if (typeof value !== 'string') return undefined;
    record[field] = value;
  }
  if (record.repository === undefined || record.tag === undefined) return undefined;
  return record as unknown as ImageRecord;
}

/** `body` with its record replaced by `record` (or the record added at the end). */
export function withRecord(body: string, record: ImageRecord | undefined): string {
  const without = body.replace(RECORD, '').trimEnd();
  if (record === undefined) return without;
  return without === '' ? recordComment(record) : `${without}\n\n${recordComment(record)}`;
}

/**
 * The record store of one release: the GitHub release of `gitTag` in the app repository. The first
 * write of a fresh release creates its draft; later writes replace the record in its body.
 */
export function releaseRecordStore(
  appRepository: GitHubRepository,
  gitTag: string,
  name: string,
): ImageRecordStore {
  let release: ReleaseInfo | undefined;
  let looked = false;
  const find = async (): Promise<ReleaseInfo | undefined> => {
    release = await appRepository.findRelease(gitTag);
    looked = true;
    return release;
  };
  return {
    where: `the GitHub release ${gitTag} of ${appRepository.fullName}`,
    read: async () => {
      const found = await find();
      return found === undefined ? undefined : parseRecord(found.body);
    },
    write: async (record) => {
      const current = looked ? release : await find();
      const body = withRecord(
        current?.body ??
          `The image of ${name}, pushed by gitops-release-actions. This draft is published when the manifests change.`,
        record,
      );
      release = await appRepository.writeDraftRelease(gitTag, { name, body }, current);
    },
  };
}

/**
 * The image the approvers are told about, from the release's record where there is one: the digest,
 * and for a promotion its source (revision, the run that built it). A digest the caller gives must
 * be the recorded one, so a pull request never names an image the suite did not push.
 */
export async function recordedImageFacts(
  appRepository: GitHubRepository,
  gitTag: string,
  given: ReleaseImageFacts | undefined,
): Promise<{ image: ReleaseImageFacts | undefined; revision: string | undefined }> {
  const record = await releaseRecordStore(appRepository, gitTag, gitTag).read();
  if (record?.digest === undefined) return { image: given, revision: undefined };
  if (given?.digest !== undefined && given.digest !== record.digest) {
    throw new InputError(
      'digest',
      `${given.digest} is not the image recorded for ${gitTag} in ${appRepository.fullName} (${record.digest}): pass ecr-build-push's digest output of this release`,
    );
  }
  const reference = given?.reference ?? '';
  const repository = reference.replace(/:[^/:]*$/, '');
  if (
    reference !== '' &&
    repository !== record.repository &&
    !repository.endsWith(`/${record.repository}`)
  ) {
    throw new InputError(
      'image',
      `${reference} is not the ECR repository recorded for ${gitTag} in ${appRepository.fullName} (${record.repository}): pass ecr-build-push's image output of this release`,
    );
  }
  // The record, not the inputs, says whether the image was promoted.
  const promotedFrom = record.promotedFrom;
  return {
    image: {
      reference,
      digest: record.digest,
      promotedFrom,
      source:
        promotedFrom === undefined
          ? undefined
          : { digest: record.digest, revision: record.revision, run: record.builtBy },
    },
    revision: record.revision,
  };
}
