/** The deployments endpoints: deployments of a ref to an environment and their statuses. */
import {
  ApiError,
  notFound,
  optionalBoolean,
  optionalString,
  paginate,
  requiredString,
  type JsonObject,
} from './http.js';
import { isoSeconds } from './model.js';
import { nodeId } from './representations.js';
import { accepts } from './permissions.js';
import type { GitRepository } from './repository.js';
import type { Route, RouteContext } from './routes.js';
import type { TestRepo } from './types.js';

export interface DeploymentStatusRecord {
  readonly id: number;
  readonly state: string;
  readonly description: string;
  readonly environment: string;
  readonly environmentUrl: string;
  readonly logUrl: string;
  readonly createdAt: string;
}

export interface DeploymentRecord {
  readonly id: number;
  readonly sha: string;
  readonly ref: string;
  readonly task: string;
  readonly environment: string;
  readonly payload: JsonObject;
  readonly description: string | null;
  readonly createdAt: string;
  readonly statuses: DeploymentStatusRecord[];
}

const store = new WeakMap<object, DeploymentRecord[]>();
// Ids of their own range, so they never collide with the server's other ids in a test's eyes.
let lastId = 5_000_000;

/** The deployments made in `repo`, oldest first (test helper). */
export function deploymentsOf(repo: TestRepo): DeploymentRecord[] {
  let list = store.get(repo);
  if (list === undefined) {
    list = [];
    store.set(repo, list);
  }
  return list;
}

const STATES = ['error', 'failure', 'inactive', 'in_progress', 'queued', 'pending', 'success'];

function creator(context: RouteContext) {
  return context.views.botUser();
}

function deploymentView(context: RouteContext, deployment: DeploymentRecord): JsonObject {
  const api = `${context.views.repoApiUrl(context.repo)}/deployments/${String(deployment.id)}`;
  const latest = deployment.statuses.at(-1);
  return {
    url: api,
    id: deployment.id,
    node_id: nodeId('Deployment', deployment.id),
    sha: deployment.sha,
    ref: deployment.ref,
    task: deployment.task,
    payload: deployment.payload,
    original_environment: deployment.environment,
    environment: deployment.environment,
    description: deployment.description,
    creator: creator(context),
    created_at: deployment.createdAt,
    updated_at: latest?.createdAt ?? deployment.createdAt,
    statuses_url: `${api}/statuses`,
    repository_url: context.views.repoApiUrl(context.repo),
    transient_environment: false,
    production_environment: false,
  };
}

function statusView(
  context: RouteContext,
  deployment: DeploymentRecord,
  status: DeploymentStatusRecord,
): JsonObject {
  const api = `${context.views.repoApiUrl(context.repo)}/deployments/${String(deployment.id)}`;
  return {
    url: `${api}/statuses/${String(status.id)}`,
    id: status.id,
    node_id: nodeId('DeploymentStatus', status.id),
    state: status.state,
    creator: creator(context),
    description: status.description,
    environment: status.environment,
    target_url: status.logUrl,
    log_url: status.logUrl,
    environment_url: status.environmentUrl,
    created_at: status.createdAt,
    updated_at: status.createdAt,
    deployment_url: api,
    repository_url: context.views.repoApiUrl(context.repo),
  };
}

function deploymentFor(context: RouteContext): DeploymentRecord {
  const id = Number(context.params[0]);
  const deployment = deploymentsOf(context.repo).find((candidate) => candidate.id === id);
  if (deployment === undefined) throw notFound();
  return deployment;
}

async function resolveRef(repo: GitRepository, ref: string): Promise<string> {
  const sha = await repo.resolveCommit(ref);
  if (sha === undefined) {
    throw new ApiError(422, `No ref found for: ${ref}`, {
      errors: [
        {
          resource: 'Deployment',
          code: 'custom',
          field: 'ref',
          message: `No ref found for: ${ref}`,
        },
      ],
    });
  }
  return sha;
}

export const deploymentRoutes: readonly Route[] = [
  {
    method: 'GET',
    pattern: /^\/deployments$/,
    accepted: accepts('deployments', 'read'),
    handle: (context) => {
      const { query } = context;
      const matching = [...deploymentsOf(context.repo)]
        .reverse()
        .filter(
          (deployment) =>
            (query.get('environment') === null ||
              deployment.environment === query.get('environment')) &&
            (query.get('ref') === null || deployment.ref === query.get('ref')) &&
            (query.get('sha') === null || deployment.sha === query.get('sha')) &&
            (query.get('task') === null || deployment.task === query.get('task')),
        );
      const page = paginate(matching, context.location);
      return Promise.resolve({
        status: 200,
        body: page.items.map((deployment) => deploymentView(context, deployment)),
        headers: page.headers,
      });
    },
  },
  {
    method: 'POST',
    pattern: /^\/deployments$/,
    accepted: accepts('deployments', 'write'),
    handle: async (context) => {
      const body = await context.readBody();
      const ref = requiredString(body, 'ref');
      const sha = await resolveRef(context.repo, ref);
      optionalBoolean(body, 'auto_merge');
      const payload = body.payload;
      const deployment: DeploymentRecord = {
        id: ++lastId,
        sha,
        ref,
        task: optionalString(body, 'task') ?? 'deploy',
        environment: optionalString(body, 'environment') ?? 'production',
        payload:
          typeof payload === 'object' && payload !== null && !Array.isArray(payload)
            ? (payload as JsonObject)
            : {},
        description: optionalString(body, 'description') ?? null,
        createdAt: isoSeconds(),
        statuses: [],
      };
      deploymentsOf(context.repo).push(deployment);
      return { status: 201, body: deploymentView(context, deployment) };
    },
  },
  {
    method: 'GET',
    pattern: /^\/deployments\/(\d+)$/,
    accepted: accepts('deployments', 'read'),
    handle: (context) =>
      Promise.resolve({ status: 200, body: deploymentView(context, deploymentFor(context)) }),
  },
  {
    method: 'GET',
    pattern: /^\/deployments\/(\d+)\/statuses$/,
    accepted: accepts('deployments', 'read'),
    handle: (context) => {
      const deployment = deploymentFor(context);
      const page = paginate([...deployment.statuses].reverse(), context.location);
      return Promise.resolve({
        status: 200,
        body: page.items.map((status) => statusView(context, deployment, status)),
        headers: page.headers,
      });
    },
  },
  {
    method: 'POST',
    pattern: /^\/deployments\/(\d+)\/statuses$/,
    accepted: accepts('deployments', 'write'),
    handle: async (context) => {
      const deployment = deploymentFor(context);
      const body = await context.readBody();
      const state = requiredString(body, 'state');
      if (!STATES.includes(state)) {
        throw new ApiError(422, 'Validation Failed', {
          errors: [
            {
              resource: 'DeploymentStatus',
              code: 'custom',
              field: 'state',
              message: `state is not included in the list`,
            },
          ],
        });
      }
      const status: DeploymentStatusRecord = {
        id: ++lastId,
        state,
        description: optionalString(body, 'description') ?? '',
        environment: optionalString(body, 'environment') ?? deployment.environment,
        environmentUrl: optionalString(body, 'environment_url') ?? '',
        logUrl: optionalString(body, 'log_url') ?? optionalString(body, 'target_url') ?? '',
        createdAt: isoSeconds(),
      };
      deployment.statuses.push(status);
      return { status: 201, body: statusView(context, deployment, status) };
    },
  },
];
