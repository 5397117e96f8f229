/**
 * The image step: build and push the release image to ECR, or promote an existing one, with the
 * docker credentials in a private DOCKER_CONFIG of the run. ecr-build-push and the CLI call it; the
 * credentials go when the step ends, or, where a runner calls a clean-up entry later (the action's
 * `post`, the composite's last step), when that entry calls removeRegistryCredentials.
 */
import { tmpdir } from 'node:os';
import {
  createDockerConfigDir,
  DockerCli,
  inspectPromotion,
  publishImage,
  type Exec,
  type ImageRecordStore,
  type PromotedSource,
  type PublishRequest,
  type PublishResult,
} from '../docker/index.js';
import type { EcrClient } from '../ecr/index.js';
import type { Logger } from '../kit/index.js';
import { removeRegistryCredentials, type RegistryCredentials } from './credentials.js';

export { removeRegistryCredentials, type RegistryCredentials } from './credentials.js';

export interface ImageStepPorts {
  readonly ecr: EcrClient;
  readonly exec: Exec;
  readonly logger: Logger;
  /** Called with each secret (the registry password) the moment it exists. */
  readonly maskSecret: (secret: string) => void;
  /** For the image's `created` label: a fixed time per commit lets a re-run build the same image. */
  readonly clock?: (() => Date) | undefined;
  /** Where the private DOCKER_CONFIG directory goes. Default the OS temp dir. */
  readonly tempDir?: string | undefined;
  /** The docker client to run. Default `docker` from PATH. */
  readonly docker?: string | undefined;
  /**
   * Given: the credentials are left for a later clean-up, and this is told where they are (as soon
   * as the directory exists, again after the login). Not given: they are removed when the step ends.
   */
  readonly keepCredentials?: ((credentials: RegistryCredentials) => void) | undefined;
  /**
   * The provenance record store of an image tag (provenance.ts: the app repository's GitHub release
   * of its git tag). Given: an image already under the release tag must be recorded there, the push
   * is recorded, and a promoted release's own record is checked.
   */
  readonly records?: ((imageTag: string) => ImageRecordStore) | undefined;
  /** Where this run can be seen, recorded with the image. */
  readonly run?: string | undefined;
}

export interface ImageStepRequest extends PublishRequest {
  /** A promotion only checks that the source tag exists: nothing is written. */
  readonly checkOnly?: boolean | undefined;
}

/** A checked promotion of a dry run: the source exists and may be promoted; nothing was tagged. */
export interface CheckedPromotion {
  readonly outcome: 'checked';
  readonly image: string;
  readonly digest: string;
  readonly promotedFrom: string;
  readonly promotedSource: PromotedSource;
}

async function checkPromotion(
  request: ImageStepRequest,
  promoteFrom: string,
  ports: ImageStepPorts,
): Promise<CheckedPromotion> {
  const { registry, ...source } = await inspectPromotion(request, promoteFrom, {
    ecr: ports.ecr,
    logger: ports.logger,
    maskSecret: ports.maskSecret,
  });
  const [tag = ''] = request.tags;
  ports.logger.info(
    `would promote ${request.repository}:${promoteFrom} (${source.digest}) to ${tag}`,
  );
  return {
    outcome: 'checked',
    image: `${registry}/${request.repository}:${tag}`,
    digest: source.digest,
    promotedFrom: promoteFrom,
    promotedSource: source,
  };
}

/** The promotion rule with the source's own record, when the source is a recorded release. */
async function withSourceRecord(
  request: ImageStepRequest,
  ports: ImageStepPorts,
): Promise<ImageStepRequest> {
  const { promoteFrom, promotion } = request;
  if (promoteFrom === undefined || promotion === undefined || ports.records === undefined) {
    return request;
  }
  const sourceRecord = await ports.records(promoteFrom).read();
  return { ...request, promotion: { ...promotion, sourceRecord } };
}

/** Builds and pushes (or builds only), or promotes; see the module comment for the credentials. */
export async function publishReleaseImage(
  request: ImageStepRequest,
  ports: ImageStepPorts,
): Promise<PublishResult | CheckedPromotion> {
  request = await withSourceRecord(request, ports);
  if (request.promoteFrom !== undefined && request.checkOnly === true) {
    return checkPromotion(request, request.promoteFrom, ports);
  }
  let credentials: RegistryCredentials | undefined;
  let docker: DockerCli | undefined;
  if (request.build !== undefined) {
    credentials = { configDir: createDockerConfigDir(ports.tempDir ?? tmpdir()) };
    // Told before anything is written into it, so a clean-up finds it even after a failure.
    ports.keepCredentials?.(credentials);
    docker = new DockerCli({
      exec: ports.exec,
      logger: ports.logger,
      configDir: credentials.configDir,
      ...(ports.docker === undefined ? {} : { docker: ports.docker }),
    });
  }
  try {
    return await publishImage(request, {
      ecr: ports.ecr,
      docker,
      logger: ports.logger,
      maskSecret: ports.maskSecret,
      onLogin: (registry) => {
        if (credentials === undefined) return;
        credentials = { ...credentials, registry };
        ports.keepCredentials?.(credentials);
      },
      clock: ports.clock,
      records: request.checkOnly === true ? undefined : ports.records?.(request.tags[0] ?? ''),
      run: ports.run,
    });
  } finally {
    if (credentials !== undefined && ports.keepCredentials === undefined) {
      await removeRegistryCredentials(credentials, ports);
    }
  }
}

/**
 * The time for `org.opencontainers.image.created`. A fixed one per commit makes a re-run's fully
 * cached build the same image, so it is recognised as already pushed: SOURCE_DATE_EPOCH (the
 * reproducible builds convention), else the commit time of `sha` in the checkout, else now.
 */
export async function imageCreatedTime(
  exec: Exec,
  checkout: string,
  sha: string | undefined,
  env: NodeJS.ProcessEnv,
  logger: Logger,
): Promise<Date> {
  const epoch = env.SOURCE_DATE_EPOCH?.trim();
  if (epoch !== undefined && /^[0-9]+$/.test(epoch)) return new Date(Number(epoch) * 1000);
  if (sha !== undefined && /^[0-9a-f]{7,40}$/i.test(sha)) {
    const shown = await exec('git', ['-C', checkout, 'show', '-s', '--format=%ct', sha]).catch(
      () => undefined,
    );
    const seconds = shown?.exitCode === 0 ? shown.stdout.trim() : '';
    if (/^[0-9]+$/.test(seconds)) return new Date(Number(seconds) * 1000);
  }
  logger.info(
    'image created time is now (no SOURCE_DATE_EPOCH, no checkout of the released commit): a re-run builds a new image id',
  );
  return new Date();
}
