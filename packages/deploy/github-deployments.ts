/**
 * GitHub's deployment API on the app repository: one deployment per environment and version, its
 * statuses in_progress -> success/failure, linking the Argo CD application, so the repository's
 * Deployments view shows what runs where.
 */
import type { GitHubClient } from '../github/client.js';
import { explained } from '../github/errors.js';
import type { RepositoryRef } from '../kit/inputs.js';

export type DeploymentStatusState = 'in_progress' | 'success' | 'failure' | 'error';

export interface DeploymentRecordRequest {
  readonly octokit: GitHubClient;
  readonly repository: RepositoryRef;
  /** The app commit or tag deployed (GitHub needs a ref of this repository). */
  readonly ref: string;
  readonly environment: string;
  readonly version: string;
  /** The Argo CD application's page. */
  readonly environmentUrl: string;
  /** This workflow run, when known. */
  readonly logUrl?: string | undefined;
}

/** A deployment of `version` to `environment`: the one made before (a re-run), else a new one. */
export async function recordDeployment(request: DeploymentRecordRequest): Promise<number> {
  const { octokit, repository, environment, version } = request;
  const where = `${repository.owner}/${repository.repo}`;
  const attempt = { repository: where, permission: 'deployments: write' };
  const existing = await explained(
    { ...attempt, action: `list the ${environment} deployments` },
    () =>
      octokit.paginate(octokit.rest.repos.listDeployments, {
        ...repository,
        environment,
        ref: request.ref,
        per_page: 100,
      }),
  );
  const same = existing.find((deployment) => {
    const payload = deployment.payload as unknown;
    return (
      typeof payload === 'object' &&
      payload !== null &&
      (payload as Record<string, unknown>).version === version
    );
  });
  if (same !== undefined) return same.id;
  const created = await explained(
    { ...attempt, action: `create the ${environment} deployment of ${version}` },
    () =>
      octokit.rest.repos.createDeployment({
        ...repository,
        ref: request.ref,
        environment,
        task: 'deploy',
        // The release already checked its commit; GitHub must neither merge nor wait for checks.
        auto_merge: false,
        required_contexts: [],
        payload: { version },
        description: `${version} to ${environment}`,
      }),
  );
  if (!('id' in created.data)) {
    throw new Error(
      `GitHub did not create the ${environment} deployment: ${created.data.message ?? ''}`,
    );
  }
  return created.data.id;
}

export async function setDeploymentStatus(
  request: DeploymentRecordRequest & {
    readonly deploymentId: number;
    readonly state: DeploymentStatusState;
    readonly description: string;
  },
): Promise<void> {
  const { octokit, repository } = request;
  await explained(
    {
      action: `mark the ${request.environment} deployment ${request.state}`,
      repository: `${repository.owner}/${repository.repo}`,
      permission: 'deployments: write',
    },
    () =>
      octokit.rest.repos.createDeploymentStatus({
        ...repository,
        deployment_id: request.deploymentId,
        state: request.state,
        environment: request.environment,
        environment_url: request.environmentUrl,
        ...(request.logUrl === undefined ? {} : { log_url: request.logUrl }),
        // GitHub's limit is 140 characters.
        description: request.description.slice(0, 140),
        auto_inactive: true,
      }),
  );
}
