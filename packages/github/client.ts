import { getOctokit } from '@actions/github';
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import type { Logger } from '../kit/index.js';

export type GitHubClient = ReturnType<typeof getOctokit>;

export interface GitHubClientOptions {
  readonly token: string;
  readonly logger: Logger;
  /** API root; default GITHUB_API_URL (set by the runner, also for GitHub Enterprise), else api.github.com. */
  readonly baseUrl?: string;
  /** How many times a rate-limited request is retried after waiting as GitHub asks. Default 3. */
  readonly rateLimitRetries?: number;
  /**
   * Requests of one id share the throttling plugin's queues (writes are spaced 1 s apart per id).
   * Each process is one run on a runner; a test that simulates many runs in one process gives each its own id.
   */
  readonly throttleId?: string;
}

/**
 * Octokit with retries (5xx, dropped connections) and throttling (primary and secondary rate limits,
 * honouring `retry-after`), composed like peter-evans/create-pull-request's client.
 */
export function createGitHubClient(options: GitHubClientOptions): GitHubClient {
  const { logger } = options;
  const rateLimitRetries = options.rateLimitRetries ?? 3;
  const onLimit =
    (kind: string) =>
    (
      retryAfter: number,
      request: { method: string; url: string },
      _octokit: unknown,
      retryCount: number,
    ): boolean => {
      const retrying = retryCount < rateLimitRetries;
      logger.warning(
        `GitHub ${kind} rate limit on ${request.method} ${request.url}: ${
          retrying ? `retrying after ${String(retryAfter)} s` : 'giving up'
        }`,
      );
      return retrying;
    };
  return getOctokit(
    options.token,
    {
      ...(options.baseUrl ? { baseUrl: options.baseUrl } : {}),
      userAgent: 'gitops-release-actions',
      log: {
        debug: (message: string) => {
          logger.debug(message);
        },
        info: (message: string) => {
          logger.debug(message);
        },
        warn: (message: string) => {
          logger.warning(message);
        },
        error: (message: string) => {
          logger.error(message);
        },
      },
      throttle: {
        id: options.throttleId ?? 'gitops-release-actions',
        onRateLimit: onLimit('primary'),
        onSecondaryRateLimit: onLimit('secondary'),
      },
    },
    retry,
    throttling,
  );
}

/** The HTTP status of an Octokit RequestError, if the thrown value is one. */
export function httpStatus(error: unknown): number | undefined {
  if (typeof error === 'object' && error !== null && 'status' in error) {
    const { status } = error;
    if (typeof status === 'number') return status;
  }
  return undefined;
}
