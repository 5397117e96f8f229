/**
 * Counts the GitHub API calls of one release through the real client stack (retry + throttling)
 * against the test server: a manifests repository with one image reference, changed to a new tag
 * either through a pull request (labels, reviewers) or directly on the base branch. The number
 * is what a run costs in GitHub's rate limits; the benchmark prints it.
 */
import {
  commitAndOpenPullRequest,
  commitEditsToBranch,
  createGitHubClient,
  GitHubRepository,
} from '../../../packages/github/index.js';
import { silentLogger } from '../../../packages/kit/index.js';
import { startGitHubServer } from './server.js';
import type { GitHubTestServer } from './types.js';

export interface ApiCall {
  readonly method: string;
  readonly path: string;
  readonly status: number;
}

export interface ReleaseCalls {
  readonly mode: 'pull-request' | 'direct';
  readonly calls: readonly ApiCall[];
  /** Calls that are not GET: what GitHub's secondary limits and the client's 1 s spacing weigh. */
  readonly writes: number;
  readonly elapsedMs: number;
}

const MANIFEST_PATH = 'apps/vsp-cms/values.yaml';
const IMAGE = '123456789012.dkr.ecr.us-gov-west-1.amazonaws.com/vsp-cms';

export function manifestFor(tag: string, replicas = 2): string {
  return [
    '# vsp-cms: Argo CD deploys what this file names.',
    'deployment:',
    `  replicas: ${String(replicas)}`,
    '  container:',
    `    image: ${IMAGE}:${tag} # set by the release workflow`,
    '',
  ].join('\n');
}

let measured = 0;

/**
 * One release of `vsp-cms` from v0.0.417 to v0.0.418 in a fresh repository, counted from the
 * server's request log (by the run's own token). Starts and closes a server when none is given.
 */
export async function measureReleaseCalls(
  options: { server?: GitHubTestServer; mode?: 'pull-request' | 'direct' } = {},
): Promise<ReleaseCalls> {
  const server = options.server ?? (await startGitHubServer());
  const mode = options.mode ?? 'pull-request';
  try {
    measured += 1;
    const name = `manifests-calls-${String(measured)}`;
    const repo = await server.createRepo(`bench-org/${name}`);
    await repo.commit('chore: vsp-cms at v0.0.417', { [MANIFEST_PATH]: manifestFor('v0.0.417') });
    repo.addCollaborator('cms-lead');
    repo.addTeam('cms-infrastructure');
    const token = `ghs_release_calls_${String(measured)}`;
    const client = createGitHubClient({
      token,
      baseUrl: server.url,
      logger: silentLogger,
      throttleId: `release-calls-${String(measured)}`,
    });
    const repository = new GitHubRepository(client, { owner: repo.owner, repo: repo.name });
    const started = performance.now();
    if (mode === 'pull-request') {
      await commitAndOpenPullRequest(repository, {
        branch: 'release/vsp-cms',
        base: 'main',
        files: [{ path: MANIFEST_PATH, content: manifestFor('v0.0.418') }],
        message: 'chore(vsp-cms): release v0.0.418',
        title: 'Release vsp-cms v0.0.418',
        body: 'Deploys v0.0.418.',
        labels: ['release', 'vsp-cms'],
        reviewers: ['cms-lead'],
        teamReviewers: ['cms-infrastructure'],
      });
    } else {
      await commitEditsToBranch(repository, {
        branch: 'main',
        edits: [
          {
            path: MANIFEST_PATH,
            edit: (current) => (current ?? '').replace(':v0.0.417', ':v0.0.418'),
          },
        ],
        message: 'chore(vsp-cms): release v0.0.418',
      });
    }
    const elapsedMs = performance.now() - started;
    const calls = server.requests
      .filter((request) => request.token === token)
      .map(({ method, path, status }) => ({ method, path, status }));
    return {
      mode,
      calls,
      writes: calls.filter((call) => call.method !== 'GET').length,
      elapsedMs,
    };
  } finally {
    if (options.server === undefined) await server.close();
  }
}

/** `8 calls (5 writes) in 6.1 s:` then one `METHOD path -> status` line per call. */
export function describeCalls(result: ReleaseCalls): string {
  const header = `${result.mode}: ${String(result.calls.length)} calls (${String(result.writes)} writes) in ${(result.elapsedMs / 1000).toFixed(1)} s`;
  return [
    header,
    ...result.calls.map((call) => `  ${call.method} ${call.path} -> ${String(call.status)}`),
  ].join('\n');
}
