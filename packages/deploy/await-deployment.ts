/**
 * Waits until Argo CD runs a given manifests commit: synced to that revision, Healthy, and the
 * expected image among the application's images. Fails on Degraded, a failed sync or the deadline,
 * naming the resources at fault and Argo CD's messages. Time comes from a clock port, so tests
 * advance it poll by poll without real timers.
 */
import { GitOpsError } from '../kit/errors.js';
import type { Logger } from '../kit/logger.js';
import type { ArgoApplication, ArgoCdClient } from './argocd.js';

export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

export interface AwaitDeploymentRequest {
  readonly client: ArgoCdClient;
  readonly application: string;
  /** The manifests commit Argo CD must have synced (full SHA, or a prefix of at least 7). */
  readonly revision: string;
  /** An image reference that must be running, e.g. `<registry>/cms:v0.0.418`; undefined: no check. */
  readonly image?: string | undefined;
  readonly pollIntervalMs: number;
  readonly timeoutMs: number;
  readonly logger: Logger;
  readonly clock?: Clock;
}

export interface DeploymentState {
  readonly application: string;
  /** Argo CD's `status.sync.status`: Synced, OutOfSync, Unknown. */
  readonly sync: string;
  /** The revision Argo CD last compared with. */
  readonly revision: string;
  /** Argo CD's `status.health.status`: Healthy, Progressing, Degraded, Missing, Suspended, Unknown. */
  readonly health: string;
  /** When the sync operation finished (else when Argo CD last reconciled); '' when neither. */
  readonly syncedAt: string;
  readonly images: readonly string[];
  /** The operation's phase: Running, Succeeded, Failed, Error, Terminating; '' when none. */
  readonly operation: string;
}

/** The deployment did not become healthy; `state` is the last thing Argo CD said. */
export class DeploymentFailedError extends GitOpsError {
  override name = 'DeploymentFailedError';

  constructor(
    problem: string,
    readonly state: DeploymentState,
    /** `degraded`, `sync-failed` or `timeout`. */
    readonly reason: 'degraded' | 'sync-failed' | 'timeout',
  ) {
    super(problem);
  }
}

export function deploymentState(application: string, app: ArgoApplication): DeploymentState {
  const status = app.status ?? {};
  return {
    application,
    sync: status.sync?.status ?? 'Unknown',
    revision: status.sync?.revision ?? '',
    health: status.health?.status ?? 'Unknown',
    syncedAt: status.operationState?.finishedAt ?? status.reconciledAt ?? '',
    images: status.summary?.images ?? [],
    operation: status.operationState?.phase ?? '',
  };
}

function sameRevision(actual: string | undefined, expected: string): boolean {
  return (
    actual !== undefined && actual !== '' && actual.toLowerCase().startsWith(expected.toLowerCase())
  );
}

/** `host[:port]/path:tag` -> `path:tag`; a reference without a registry host stays as it is. */
function withoutRegistry(reference: string): string {
  const [first = '', ...rest] = reference.split('/');
  const isHost =
    rest.length > 0 && (first.includes('.') || first.includes(':') || first === 'localhost');
  return isHost ? rest.join('/') : reference;
}

/**
 * Whether Argo CD's image is the release's: the same repository and tag. The registry host is not
 * compared, since manifests may name the registry by another host (a VPC endpoint, a mirror); a
 * pinned manifest's `@sha256:...` is allowed after the tag.
 */
export function sameImage(running: string, expected: string): boolean {
  const pinned = running.split('@')[0] ?? running;
  return running === expected || withoutRegistry(pinned) === withoutRegistry(expected);
}

function resourceName(resource: { kind?: string; name?: string; namespace?: string }): string {
  const where = resource.namespace ? `${resource.namespace}/` : '';
  return `${resource.kind ?? 'resource'} ${where}${resource.name ?? '?'}`;
}

/** The resources that are not Healthy, with Argo CD's message for each. */
export function unhealthyResources(app: ArgoApplication): string[] {
  return (app.status?.resources ?? [])
    .filter((resource) => resource.health !== undefined && resource.health.status !== 'Healthy')
    .map((resource) => {
      const { status = 'Unknown', message } = resource.health ?? {};
      return `${resourceName(resource)} is ${status}${message ? `: ${message}` : ''}`;
    });
}

/** The resources the sync could not apply, with their messages. */
function failedSyncResources(app: ArgoApplication): string[] {
  return (app.status?.operationState?.syncResult?.resources ?? [])
    .filter((resource) => resource.status !== undefined && resource.status !== 'Synced')
    .map(
      (resource) =>
        `${resourceName(resource)} ${resource.status ?? ''}${resource.message ? `: ${resource.message}` : ''}`,
    );
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ');
}

function describe(state: DeploymentState): string {
  // Argo CD's words, on one line: a line break in them could start a workflow command in the log.
  return oneLine(
    `${state.sync} at ${state.revision.slice(0, 12) || 'no revision'}, ${state.health}${state.operation ? `, operation ${state.operation}` : ''}`,
  );
}

type Verdict =
  | { readonly kind: 'done' }
  | { readonly kind: 'wait'; readonly why: string }
  | {
      readonly kind: 'fail';
      readonly reason: 'degraded' | 'sync-failed';
      readonly problem: string;
    };

function judge(
  request: AwaitDeploymentRequest,
  app: ArgoApplication,
  state: DeploymentState,
): Verdict {
  const { application, revision, image } = request;
  const operation = app.status?.operationState;
  const operationIsOurs = sameRevision(operation?.syncResult?.revision, revision);
  if (operationIsOurs && (operation?.phase === 'Failed' || operation?.phase === 'Error')) {
    const resources = failedSyncResources(app);
    return {
      kind: 'fail',
      reason: 'sync-failed',
      problem: `Argo CD could not sync ${application} to ${revision.slice(0, 12)}: ${operation.message ?? operation.phase}${resources.length > 0 ? ` (${resources.join('; ')})` : ''}`,
    };
  }
  if (!sameRevision(state.revision, revision)) {
    return { kind: 'wait', why: `Argo CD has not seen ${revision.slice(0, 12)} yet` };
  }
  if (state.sync !== 'Synced' || operation?.phase === 'Running') {
    return { kind: 'wait', why: 'syncing' };
  }
  if (state.health === 'Degraded' || state.health === 'Missing') {
    const resources = unhealthyResources(app);
    return {
      kind: 'fail',
      reason: 'degraded',
      problem: `${application} is ${state.health} at ${revision.slice(0, 12)}: ${resources.length > 0 ? resources.join('; ') : (app.status?.health?.message ?? 'Argo CD names no resource')}`,
    };
  }
  if (state.health !== 'Healthy') return { kind: 'wait', why: state.health };
  if (image !== undefined && !state.images.some((running) => sameImage(running, image))) {
    return { kind: 'wait', why: `${image} is not running yet` };
  }
  return { kind: 'done' };
}

/**
 * Asks Argo CD to refresh the application, then polls it until the revision runs Healthy. Each poll
 * is one GET; the first carries `refresh=normal`, and so does every later one while Argo CD has not
 * seen the revision (it may have polled Git just before the commit).
 */
export async function awaitDeployment(request: AwaitDeploymentRequest): Promise<DeploymentState> {
  const clock = request.clock ?? systemClock;
  const deadline = clock.now() + request.timeoutMs;
  let lastWhy = '';
  let seenRevision = false;
  for (;;) {
    const app = await request.client.getApplication(request.application, !seenRevision);
    const state = deploymentState(request.application, app);
    seenRevision ||= sameRevision(state.revision, request.revision);
    const verdict = judge(request, app, state);
    if (verdict.kind === 'done') {
      request.logger.info(`${request.application}: ${describe(state)}`);
      return state;
    }
    if (verdict.kind === 'fail') {
      throw new DeploymentFailedError(verdict.problem, state, verdict.reason);
    }
    if (verdict.why !== lastWhy)
      request.logger.info(oneLine(`${request.application}: ${describe(state)} (${verdict.why})`));
    lastWhy = verdict.why;
    if (clock.now() + request.pollIntervalMs > deadline) {
      const unhealthy = unhealthyResources(app);
      const never = seenRevision
        ? ''
        : `; Argo CD never refreshed to ${request.revision.slice(0, 12)} (check its repository access and the application's targetRevision)`;
      throw new DeploymentFailedError(
        `${request.application} was not Healthy at ${request.revision.slice(0, 12)} after ${String(Math.round(request.timeoutMs / 1000))} s: ${describe(state)}, ${verdict.why}${never}${unhealthy.length > 0 ? ` (${unhealthy.join('; ')})` : ''}`,
        state,
        'timeout',
      );
    }
    await clock.sleep(request.pollIntervalMs);
  }
}
