/**
 * GitHub faults at release level: each row is one whole release (runRelease: reserve the tag,
 * promote an image in ECR, commit the manifest change, open the pull request, publish the GitHub
 * release) against the sandbox, with one fault injected into the GitHub API test server.
 *
 * A transient fault ends in the same state as a release without one: one tag on the commit, the
 * image under it with its digest, one pull request whose branch names that tag, one published
 * release. A persistent fault ends in one clear error and the state the design allows after a
 * failed run: the tag stays reserved for the commit (a re-run reuses it) and an image pushed
 * under it stays, but there is never a branch without its pull request, a pull request whose
 * branch lacks the change, or a manifest naming a tag that ECR does not hold; the re-run then
 * finishes the same release.
 *
 * The rows promote a seeded image instead of building one: docker is not what is under test here.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Fault } from '../support/github-server.js';
import {
  branches,
  git,
  startReleaseHarness,
  type ReleaseHarness,
  type ReleaseState,
} from '../support/release-harness.js';
import { sampleValues, sandboxUnavailable, type SampleProject } from '../support/sandbox.js';

const skipReason = sandboxUnavailable();
if (skipReason !== undefined) process.stderr.write(`GitHub fault tests skipped: ${skipReason}\n`);
const describeReal = skipReason === undefined ? describe : describe.skip;

const CANDIDATE = 'candidate';

describeReal('a release through GitHub faults', () => {
  let harness: ReleaseHarness;
  // Jest runs at most 5 concurrent tests: the rows (mostly waiting on the throttling plugin's
  // spacing of writes) all start together in beforeAll instead, and each test awaits its own.
  const rows = new Map<string, () => Promise<void>>();
  const running = new Map<string, Promise<void>>();
  const scenario = (name: string, body: () => Promise<void>): void => {
    rows.set(name, body);
    it(name, () => running.get(name), 150_000);
  };

  beforeAll(async () => {
    harness = await startReleaseHarness('faults');
    for (const [name, body] of rows) {
      const promise = body();
      promise.catch(() => undefined);
      running.set(name, promise);
    }
  }, 90_000);

  afterAll(async () => {
    await harness.close();
  }, 60_000);

  interface Row {
    readonly target: SampleProject;
    readonly candidateDigest: string;
    readonly sha: string;
    readonly app: string;
    readonly manifests: string;
  }

  async function row(name: string): Promise<Row> {
    const target = await harness.project(name);
    const sha = await target.appRepo.head();
    return {
      target,
      candidateDigest: await harness.seedImage(target, CANDIDATE, sha),
      sha,
      app: `/repos/${target.appRepo.fullName}`,
      manifests: `/repos/${target.manifestsRepo.fullName}`,
    };
  }

  const promote = (target: SampleProject, mode: 'pull-request' | 'direct' = 'pull-request') =>
    harness.release(target, { build: undefined, promoteFrom: CANDIDATE, mode });

  function addFault(fault: Fault): void {
    harness.sandbox.github.faults.add(fault);
  }

  /** The finished release of `tag` for `row.sha` in pull request mode, and nothing else. */
  function expectReleased(
    state: ReleaseState,
    { target, sha, candidateDigest }: Row,
    tag = 'v0.0.1',
  ) {
    expect(state.tags.get(tag)).toBe(sha);
    expect(state.images.get(tag)).toBe(candidateDigest);
    expect(state.branches).toEqual(['main', `release/cms/${tag}`]);
    expect(state.pulls).toHaveLength(1);
    expect(state.pulls[0]).toMatchObject({
      state: 'open',
      head: `release/cms/${tag}`,
      labels: ['release:cms'],
    });
    expect(
      git(target.manifestsRepo, 'show', `release/cms/${tag}:${target.manifestsPath}/values.yaml`),
    ).toBe(sampleValues(tag, target.ecrRepository).trimEnd());
    expect(state.releases).toEqual([tag]);
  }

  /** What a run that failed before its pull request may leave: the reservation and its image. */
  function expectReservedOnly(state: ReleaseState, { sha, candidateDigest }: Row) {
    expect([...state.tags]).toEqual([['v0.0.1', sha]]);
    expect(state.images.get('v0.0.1')).toBe(candidateDigest);
    expect(state.branches).toEqual(['main']);
    expect(state.pulls).toEqual([]);
    expect(state.releases).toEqual([]);
  }

  describe('transient faults: the release finishes as if nothing happened', () => {
    const transient = [
      [
        'a 500 on the tag reservation (POST /git/refs)',
        'app',
        'POST',
        '/git/refs',
        { kind: 'server-error', status: 500 },
      ],
      [
        'a 502 on the manifest commit (POST /git/commits)',
        'manifests',
        'POST',
        '/git/commits',
        { kind: 'server-error', status: 502 },
      ],
      [
        'a secondary rate limit with retry-after on opening the pull request',
        'manifests',
        'POST',
        '/pulls',
        { kind: 'secondary-rate-limit', retryAfterSeconds: 1 },
      ],
      [
        'a 429 primary rate limit on the tree write (POST /git/trees)',
        'manifests',
        'POST',
        '/git/trees',
        { kind: 'rate-limit', retryAfterSeconds: 1 },
      ],
      [
        'a connection dropped before the tree write is handled',
        'manifests',
        'POST',
        '/git/trees',
        { kind: 'drop' },
      ],
    ] as const;
    for (const [name, repository, method, path, fault] of transient) {
      scenario(name, async () => {
        const current = await row(`t-${path.replace(/\W/g, '')}-${fault.kind}`);
        addFault({ route: `${method} ${current[repository]}${path}`, ...fault });
        const result = await promote(current.target).result;
        expect(result).toMatchObject({ status: 'released', version: { version: 'v0.0.1' } });
        const state = await harness.state(current.target);
        expectReleased(state, current);
        // The fault was hit: the write was answered with it once, then retried.
        const writes = harness.sandbox.github.requests.filter(
          (request) =>
            request.method === method && request.path === `${current[repository]}${path}`,
        );
        expect(writes.length).toBeGreaterThanOrEqual(2);
      });
    }
  });

  describe('a write that lands but whose answer is lost: the retry is idempotent', () => {
    scenario(
      'tag reservation: the retried create-ref gets "Reference already exists" for our own tag, which is reused (no number burnt)',
      async () => {
        const current = await row('lost-tag');
        addFault({ route: `POST ${current.app}/git/refs`, kind: 'drop-after' });
        const result = await promote(current.target).result;
        expect(result).toMatchObject({
          status: 'released',
          version: { version: 'v0.0.1', reservation: 'reused' },
        });
        const state = await harness.state(current.target);
        expectReleased(state, current);
        expect([...state.tags.keys()]).toEqual(['v0.0.1']);
      },
    );

    scenario(
      'pull request branch: the retried create-ref finds the branch at our commit and opens the pull request',
      async () => {
        const current = await row('lost-branch');
        addFault({ route: `POST ${current.manifests}/git/refs`, kind: 'drop-after' });
        const result = await promote(current.target).result;
        expect(result).toMatchObject({ status: 'released' });
        expectReleased(await harness.state(current.target), current);
        // One commit on the branch: the retry did not commit again.
        expect(
          git(current.target.manifestsRepo, 'rev-list', '--count', 'main..release/cms/v0.0.1'),
        ).toBe('1');
      },
    );

    scenario(
      'pull request: the retried POST /pulls gets "already exists" and adopts the one that was opened (no duplicate)',
      async () => {
        const current = await row('lost-pull');
        addFault({ route: `POST ${current.manifests}/pulls`, kind: 'drop-after' });
        const result = await promote(current.target).result;
        expect(result).toMatchObject({ status: 'released' });
        const state = await harness.state(current.target);
        expectReleased(state, current);
        expect(result.pullRequest?.opened?.number).toBe(state.pulls[0]?.number);
      },
    );

    scenario(
      'GitHub release: the retried POST /releases (the draft with the image record) gets tag_name already_exists and adopts the draft, published once',
      async () => {
        const current = await row('lost-release');
        addFault({ route: `POST ${current.app}/releases`, kind: 'drop-after' });
        const result = await promote(current.target).result;
        expect(result).toMatchObject({ status: 'released', release: { created: true } });
        expectReleased(await harness.state(current.target), current);
        const response = await fetch(
          `${harness.sandbox.github.url}${current.app}/releases?per_page=100`,
        );
        const releases = (await response.json()) as { tag_name: string; body: string }[];
        expect(releases.map((release) => release.tag_name)).toEqual(['v0.0.1']);
        expect(releases[0]?.body).toContain(`"digest":"${current.candidateDigest}"`);
      },
    );

    scenario(
      'direct mode: the retried fast-forward (PATCH ref) of the base to the same commit succeeds; one commit lands',
      async () => {
        const current = await row('lost-patch');
        const { manifestsRepo } = current.target;
        const before = git(manifestsRepo, 'rev-parse', 'main');
        addFault({ route: `PATCH ${current.manifests}/git/refs/heads/main`, kind: 'drop-after' });
        const result = await promote(current.target, 'direct').result;
        expect(result).toMatchObject({ status: 'released', commit: { changed: true } });
        expect(git(manifestsRepo, 'rev-list', '--first-parent', `${before}..main`)).toBe(
          result.commit?.sha,
        );
        expect(git(manifestsRepo, 'show', `main:${current.target.manifestsPath}/values.yaml`)).toBe(
          sampleValues('v0.0.1', current.target.ecrRepository).trimEnd(),
        );
        expect(branches(manifestsRepo)).toEqual(['main']);
      },
    );
  });

  describe('someone else between our read and our write', () => {
    scenario(
      'another run takes v0.0.1 just before our reservation: we take v0.0.2, and everything names v0.0.2',
      async () => {
        const current = await row('race-tag');
        const { appRepo } = current.target;
        // The other run (slower, of the commit before ours) releases it, so ours is ahead of it.
        const theirs = git(appRepo, 'rev-parse', `${current.sha}~1`);
        addFault({
          route: `POST ${current.app}/git/refs`,
          kind: 'before',
          before: () => appRepo.createTag('v0.0.1', theirs),
        });
        const { logger, result: running } = promote(current.target);
        const result = await running;
        expect(result).toMatchObject({ status: 'released', version: { version: 'v0.0.2' } });
        expect(logger.lines).toContainEqual(
          'v0.0.1 was taken by another run meanwhile: releasing as v0.0.2',
        );
        const state = await harness.state(current.target);
        expect(state.tags.get('v0.0.1')).toBe(theirs);
        expect(state.images.has('v0.0.1')).toBe(false);
        expect(state.tags.get('v0.0.2')).toBe(current.sha);
        expect(state.images.get('v0.0.2')).toBe(current.candidateDigest);
        expect(state.pulls.map((pull) => pull.head)).toEqual(['release/cms/v0.0.2']);
        expect(
          git(
            current.target.manifestsRepo,
            'show',
            `release/cms/v0.0.2:${current.target.manifestsPath}/values.yaml`,
          ),
        ).toBe(sampleValues('v0.0.2', current.target.ecrRepository).trimEnd());
        expect(state.releases).toEqual(['v0.0.2']);
      },
    );

    scenario(
      "someone creates the release's pull request branch just before we do: it is rebuilt from the base (nothing of theirs reaches the pull request), their commit named in a warning, and one pull request opens",
      async () => {
        const current = await row('race-branch');
        const { manifestsRepo, manifestsPath } = current.target;
        let theirs = '';
        addFault({
          route: `POST ${current.manifests}/git/refs`,
          kind: 'before',
          before: async () => {
            theirs = await manifestsRepo.commit(
              'Note for the reviewers',
              { 'apps/vsp-cms/NOTES.md': 'Deploy after 18:00.\n' },
              { branch: 'release/cms/v0.0.1' },
            );
          },
        });
        const run = promote(current.target);
        const result = await run.result;
        expect(result).toMatchObject({ status: 'released' });
        const state = await harness.state(current.target);
        expectReleased(state, current);
        expect(git(manifestsRepo, 'rev-parse', 'release/cms/v0.0.1~1')).toBe(
          git(manifestsRepo, 'rev-parse', 'main'),
        );
        expect(git(manifestsRepo, 'diff', '--name-only', 'main...release/cms/v0.0.1')).toBe(
          `${manifestsPath}/values.yaml`,
        );
        expect(git(manifestsRepo, 'branch', '--contains', theirs)).toBe('');
        expect(run.logger.lines).toContainEqual(
          expect.stringContaining(
            `warning: the branch release/cms/v0.0.1 (${manifestsRepo.fullName}) was pushed to (${theirs.slice(0, 7)}) while this release committed`,
          ),
        );
      },
    );
  });

  describe('two releases racing to their pull requests', () => {
    scenario(
      "an older release whose pull request opens after a newer release's closes its own, never the newer one",
      async () => {
        const current = await row('race-pulls');
        const { appRepo, manifestsRepo } = current.target;
        git(appRepo, 'update-ref', 'refs/heads/other', `${current.sha}~1`);
        appRepo.invalidateRefCache();
        const newerSha = await appRepo.commit(
          'Another change',
          { 'other.txt': '1\n' },
          { branch: 'other' },
        );
        await harness.seedImage(current.target, 'candidate-newer', newerSha);
        // Our run (v0.0.1) is about to open its pull request when a run for a newer commit
        // (v0.0.2) goes all the way through first. That commit forked before ours, so it has
        // diverged from v0.0.1: released with a reason, as the rule asks.
        let newer: Awaited<ReturnType<typeof promote>['result']> | undefined;
        addFault({
          route: `POST ${current.manifests}/pulls`,
          kind: 'before',
          before: async () => {
            newer = await harness.release(current.target, {
              sha: newerSha,
              build: undefined,
              promoteFrom: 'candidate-newer',
              allowDowngrade: true,
              downgradeReason: 'the other branch is released in parallel',
            }).result;
          },
        });
        const older = await promote(current.target).result;
        expect(newer?.version.version).toBe('v0.0.2');
        expect(older.version.version).toBe('v0.0.1');
        const newerNumber = newer?.pullRequest?.opened?.number;
        expect(older.pullRequest?.opened?.supersededBy).toBe(newerNumber);
        const pulls = await manifestsRepo.pulls();
        expect(pulls.map((pull) => [pull.head, pull.state])).toEqual([
          ['release/cms/v0.0.2', 'open'],
          ['release/cms/v0.0.1', 'closed'],
        ]);
        expect(pulls[1]?.comments).toEqual([
          `Superseded by #${String(newerNumber)}, a newer release that was already open: merging this one after it would deploy an older version.`,
        ]);
        expect(branches(manifestsRepo)).toEqual(['main', 'release/cms/v0.0.2']);
      },
    );
  });

  describe('persistent faults: one clear error, no half state, and a re-run finishes the release', () => {
    scenario(
      'the tag reservation keeps failing (500): nothing is reserved, pushed, committed or opened',
      async () => {
        const current = await row('p-tag');
        addFault({
          route: `POST ${current.app}/git/refs`,
          kind: 'server-error',
          status: 500,
          times: 4,
        });
        await expect(promote(current.target).result).rejects.toThrow(
          /^could not reserve the tag v0\.0\.1 \(octo-org\/p-tag-[^)]+\): GitHub answered 500 \(Internal Server Error\)$/,
        );
        const state = await harness.state(current.target);
        expect(state.tags.size).toBe(0);
        expect([...state.images.keys()]).toEqual([CANDIDATE]);
        expect(state.branches).toEqual(['main']);
        expect(state.pulls).toEqual([]);
        expect(state.releases).toEqual([]);
      },
    );

    const failingWrites = [
      [
        'the manifest commit (POST /git/commits)',
        '/git/commits',
        /^could not commit to release\/cms\/v0\.0\.1 \([^)]+\): GitHub answered 502 \(Server Error\)$/,
      ],
      [
        'opening the pull request (POST /pulls)',
        '/pulls',
        /^could not open a pull request from release\/cms\/v0\.0\.1 into main \([^)]+\): GitHub answered 502 \(Server Error\)$/,
      ],
    ] as const;
    for (const [name, path, message] of failingWrites) {
      scenario(
        `${name} keeps failing (502): the tag stays reserved with its image, no branch or pull request is left; the re-run reuses both`,
        async () => {
          const current = await row(`p-${path.replace(/\W/g, '')}`);
          addFault({
            route: `POST ${current.manifests}${path}`,
            kind: 'server-error',
            status: 502,
            times: 4,
          });
          await expect(promote(current.target).result).rejects.toThrow(message);
          expectReservedOnly(await harness.state(current.target), current);

          const rerun = await promote(current.target).result;
          expect(rerun).toMatchObject({
            status: 'released',
            version: { version: 'v0.0.1', reservation: 'reused' },
            image: { digest: current.candidateDigest },
          });
          expectReleased(await harness.state(current.target), current);
        },
      );
    }

    scenario(
      'publishing the GitHub release keeps failing (502): the pull request stays open for the reserved tag; the re-run publishes it without a second pull request',
      async () => {
        const current = await row('p-release');
        // Publishing is the PATCH of the draft the image step wrote (its provenance record).
        addFault({
          route: `PATCH ${current.app}/releases/`,
          kind: 'server-error',
          status: 502,
          times: 4,
        });
        await expect(promote(current.target).result).rejects.toThrow(
          /^could not publish the release v0\.0\.1 \([^)]+\): GitHub answered 502 \(Server Error\)$/,
        );
        const state = await harness.state(current.target);
        expect(state.tags.get('v0.0.1')).toBe(current.sha);
        expect(state.images.get('v0.0.1')).toBe(current.candidateDigest);
        expect(state.pulls.map((pull) => [pull.head, pull.state])).toEqual([
          ['release/cms/v0.0.1', 'open'],
        ]);
        expect(state.releases).toEqual([]);

        const rerun = await promote(current.target).result;
        expect(rerun).toMatchObject({
          status: 'released',
          version: { version: 'v0.0.1', reservation: 'reused' },
          pullRequest: { opened: { operation: 'unchanged' } },
          release: { created: true },
        });
        expectReleased(await harness.state(current.target), current);
      },
    );
  });
});
