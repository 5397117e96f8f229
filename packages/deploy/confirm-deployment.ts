/**
 * The await-deployment step every driver calls (the action, the CLI): report the deployment to
 * GitHub as in progress, wait for Argo CD, report success or failure, and give the one line per
 * environment that the job summary and the CLI show.
 */
import { errorMessage } from '../kit/errors.js';
import type { Logger } from '../kit/logger.js';
import { markdownTable } from '../kit/summary.js';
import type { ArgoCdClient } from './argocd.js';
import {
  awaitDeployment,
  DeploymentFailedError,
  type Clock,
  type DeploymentState,
} from './await-deployment.js';
import {
  recordDeployment,
  setDeploymentStatus,
  type DeploymentRecordRequest,
} from './github-deployments.js';

export interface ConfirmDeploymentRequest {
  readonly client: ArgoCdClient;
  readonly application: string;
  readonly revision: string;
  readonly image?: string | undefined;
  readonly version: string;
  readonly environment: string;
  readonly pollIntervalMs: number;
  readonly timeoutMs: number;
  readonly logger: Logger;
  readonly clock?: Clock;
  /** Where to report the deployment; undefined: not reported. */
  readonly github?: Omit<DeploymentRecordRequest, 'environment' | 'version' | 'environmentUrl'>;
}

export interface ConfirmedDeployment {
  readonly state: DeploymentState;
  /** The GitHub deployment's id; undefined when not reported. */
  readonly deploymentId: number | undefined;
  readonly applicationUrl: string;
}

export async function confirmDeployment(
  request: ConfirmDeploymentRequest,
): Promise<ConfirmedDeployment> {
  const applicationUrl = request.client.applicationUrl(request.application);
  const record =
    request.github === undefined
      ? undefined
      : {
          ...request.github,
          environment: request.environment,
          version: request.version,
          environmentUrl: applicationUrl,
        };
  let deploymentId: number | undefined;
  if (record !== undefined) {
    // Server, token and application checked (and a refresh asked for) before GitHub records
    // anything: a typo in an input leaves no deployment behind.
    await request.client.getApplication(request.application, true);
    deploymentId = await recordDeployment(record);
    await setDeploymentStatus({
      ...record,
      deploymentId,
      state: 'in_progress',
      description: `Argo CD is syncing ${request.version}`,
    });
  }
  let state: DeploymentState;
  try {
    state = await awaitDeployment(request);
  } catch (error: unknown) {
    if (record !== undefined && deploymentId !== undefined) {
      await setDeploymentStatus({
        ...record,
        deploymentId,
        state: error instanceof DeploymentFailedError ? 'failure' : 'error',
        description: errorMessage(error),
      }).catch((reportError: unknown) => {
        request.logger.warning(
          `could not mark the GitHub deployment failed: ${errorMessage(reportError)}`,
        );
      });
    }
    throw error;
  }
  if (record !== undefined && deploymentId !== undefined) {
    await setDeploymentStatus({
      ...record,
      deploymentId,
      state: 'success',
      description: `${request.version} is ${state.health} (${state.revision.slice(0, 7)})`,
    });
  }
  return { state, deploymentId, applicationUrl };
}

export interface DeploymentLine {
  readonly environment: string;
  readonly version: string;
  readonly state: DeploymentState;
}

/** The job summary's table: one row per environment (version, commit, synced at, health). */
export function deploymentSummary(lines: readonly DeploymentLine[]): string {
  return markdownTable(
    ['Environment', 'Version', 'Commit', 'Synced at', 'Health'],
    lines.map(({ environment, version, state }) => [
      environment,
      version,
      state.revision.slice(0, 12),
      state.syncedAt || '-',
      state.health,
    ]),
  );
}

/** The CLI's line for one environment. */
export function deploymentLine({ environment, version, state }: DeploymentLine): string {
  return `${environment}: ${version} commit ${state.revision.slice(0, 12)} synced ${state.syncedAt || '-'} ${state.health}`;
}
