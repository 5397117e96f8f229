/**
 * Many releases at once against the sandbox's real parts.
 *
 * Pull request mode: 20 runs of runRelease for 20 commits of one app (sibling commits, each on its
 * own branch off the same base, so none is "behind" another), all at once, into one ECR repository
 * and one manifests repository. What "nothing lost, strictly increasing" means there:
 * - the tags are exactly v0.0.1..v0.0.20, one per commit (a lost reservation race takes the next
 *   number; nothing leaves a gap);
 * - ECR holds each tag with the digest its run reported, 20 different images;
 * - each tag has exactly one pull request, whose head commit names that tag;
 * - only the newest release's pull request (v0.0.20) stays open; every other one is closed by a
 *   run of a *newer* release (its comment names a pull request of a higher version), never by an
 *   older one, whichever run finished first; merging the open one puts v0.0.20 on the base.
 *
 * Direct mode: 20 writers commit to one manifests branch at once through commitEditsToBranch, each
 * its own app's file (many apps share one manifests repository). All 20 land: 20 single-parent
 * commits on the branch's first-parent history, every file at its new tag; a writer that lost a
 * race moved the branch only as a fast-forward (the test server refuses anything else, as GitHub
 * does: checked here too).
 */
import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  commitEditsToBranch,
  GitHubRepository,
  type CommitEditsResult,
} from '../../packages/github/index.js';
import { parseRepositoryInput } from '../../packages/kit/index.js';
import type { ReleaseResult } from '../../packages/release/index.js';
import { sampleAppFiles, sampleValues, sandboxUnavailable } from '../support/sandbox.js';
import { BASE_IMAGE } from '../support/docker/index.js';
import {
  branches,
  git,
  startReleaseHarness,
  type ReleaseHarness,
} from '../support/release-harness.js';

const skipReason = sandboxUnavailable();
if (skipReason !== undefined) process.stderr.write(`load tests skipped: ${skipReason}\n`);
const describeReal = skipReason === undefined ? describe : describe.skip;

const RUNS = 20;

const versionOf = (branch: string): number => Number(/v0\.0\.(\d+)$/.exec(branch)?.[1] ?? NaN);

describeReal('many releases at once', () => {
  let harness: ReleaseHarness;

  beforeAll(async () => {
    harness = await startReleaseHarness('load');
  }, 90_000);

  afterAll(async () => {
    await harness.close();
  }, 60_000);

  it.concurrent(
    `${String(RUNS)} concurrent releases (build, push, pull request) of one app: tags v0.0.1..v0.0.${String(RUNS)}, every image with its digest, one pull request per tag, only the newest left open`,
    async () => {
      const target = await harness.project('load-pr');
      const manifest = `${target.manifestsPath}/values.yaml`;
      const contexts = await mkdtemp(join(harness.sandbox.dir, 'contexts-'));
      const commits: { sha: string; context: string }[] = [];
      for (let index = 1; index <= RUNS; index++) {
        const files = {
          ...sampleAppFiles(`Release candidate ${String(index)}`),
          // No RUN step: 20 builds at once on a small machine; the build is not what is under test.
          Dockerfile: `FROM ${BASE_IMAGE}\nCOPY web/ /srv/www/\nCMD ["httpd", "-f", "-p", "8080", "-h", "/srv/www"]\n`,
        };
        const sha = await target.appRepo.commit(`Candidate ${String(index)}`, files, {
          branch: `candidate-${String(index)}`,
        });
        const context = join(contexts, String(index));
        for (const [path, content] of Object.entries(files)) {
          await mkdir(dirname(join(context, path)), { recursive: true });
          await writeFile(join(context, path), content);
        }
        commits.push({ sha, context });
      }

      const results: ReleaseResult[] = await Promise.all(
        commits.map(
          ({ sha, context }) =>
            // Sibling branches, each diverged from the others' releases: allowed with a reason
            // (the race for numbers and pull requests is what is under test).
            harness.release(target, {
              sha,
              build: { context, network: 'none' },
              allowDowngrade: true,
              downgradeReason: 'load test: sibling branches',
            }).result,
        ),
      );

      // Tags: exactly v0.0.1..v0.0.20, one per commit.
      expect(results.map((result) => result.status)).toEqual(Array(RUNS).fill('released'));
      const versions = results.map((result) => result.version.version);
      expect([...versions].sort((a, b) => versionOf(a) - versionOf(b))).toEqual(
        Array.from({ length: RUNS }, (_, index) => `v0.0.${String(index + 1)}`),
      );
      const tags = await target.appRepo.tags();
      expect(tags.size).toBe(RUNS);
      results.forEach((result, index) => {
        expect(tags.get(result.version.gitTag)).toBe(commits[index]?.sha);
      });

      // Images: each tag in the registry with the digest its run reported; 20 different images.
      const state = await harness.state(target);
      for (const result of results) {
        expect(result.image?.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
        expect(state.images.get(result.version.version)).toBe(result.image?.digest);
      }
      expect(new Set(results.map((result) => result.image?.digest)).size).toBe(RUNS);

      // Pull requests: one per tag, its head commit naming that tag.
      const pulls = state.pulls;
      expect(pulls.map((pull) => pull.head).sort()).toEqual(
        versions.map((version) => `release/cms/${version}`).sort(),
      );
      for (const pull of pulls) {
        const version = pull.head.slice('release/cms/'.length);
        expect(git(target.manifestsRepo, 'show', `${pull.headSha}:${manifest}`)).toBe(
          sampleValues(version, target.ecrRepository).trimEnd(),
        );
      }

      // Only the newest stays open; each other one was closed for a newer release.
      const newest = `release/cms/v0.0.${String(RUNS)}`;
      expect(pulls.filter((pull) => pull.state === 'open').map((pull) => pull.head)).toEqual([
        newest,
      ]);
      const byNumber = new Map(pulls.map((pull) => [pull.number, pull]));
      for (const pull of pulls.filter((candidate) => candidate.state === 'closed')) {
        expect(pull.merged).toBe(false);
        const closer = /^Superseded by #(\d+)/.exec(pull.comments.at(-1) ?? '')?.[1];
        const newer = byNumber.get(Number(closer));
        expect(newer).toBeDefined();
        expect(versionOf(newer?.head ?? '')).toBeGreaterThan(versionOf(pull.head));
      }
      expect(state.branches).toEqual(['main', newest]);
      expect(state.releases).toHaveLength(RUNS);

      // Merging what is left moves the base to the newest release.
      const open = pulls.find((pull) => pull.state === 'open');
      const merge = await fetch(
        `${harness.sandbox.github.url}/repos/${target.manifestsRepo.fullName}/pulls/${String(open?.number)}/merge`,
        { method: 'PUT', body: JSON.stringify({ merge_method: 'squash' }) },
      );
      expect(merge.status).toBe(200);
      await merge.body?.cancel();
      expect(git(target.manifestsRepo, 'show', `main:${manifest}`)).toBe(
        sampleValues(`v0.0.${String(RUNS)}`, target.ecrRepository).trimEnd(),
      );
    },
    240_000,
  );

  it.concurrent(
    `${String(RUNS)} concurrent direct commits to one manifests branch all land, each as a fast-forward`,
    async () => {
      const target = await harness.project('load-direct');
      const { manifestsRepo } = target;
      const fileOf = (index: number) => `apps/app-${String(index)}/values.yaml`;
      const valuesOf = (index: number, tag: string) =>
        `image:\n  repository: 008577686731.dkr.ecr.us-gov-west-1.amazonaws.com/dsva/app-${String(index)}\n  tag: ${tag} # released by CI\n`;
      const files: Record<string, string> = {};
      for (let index = 1; index <= RUNS; index++) files[fileOf(index)] = valuesOf(index, 'v0.0.0');
      const base = await manifestsRepo.commit('Twenty apps at v0.0.0', files);
      const requestsBefore = harness.sandbox.github.requests.length;

      const results: CommitEditsResult[] = await Promise.all(
        Array.from({ length: RUNS }, (_, offset) => {
          const index = offset + 1;
          const repository = new GitHubRepository(
            harness.client(),
            parseRepositoryInput('manifests', manifestsRepo.fullName),
          );
          return commitEditsToBranch(repository, {
            branch: 'main',
            // Each refusal means another writer's commit landed meanwhile, so RUNS attempts suffice.
            maxAttempts: RUNS,
            message: `Release app-${String(index)} v0.0.1`,
            edits: [
              {
                path: fileOf(index),
                edit: (current) => (current ?? '').replace('tag: v0.0.0', 'tag: v0.0.1'),
              },
            ],
          });
        }),
      );

      expect(results.every((result) => result.changed)).toBe(true);
      // The branch's history is exactly the 20 commits, one after another, none dropped.
      const firstParent = git(manifestsRepo, 'rev-list', '--first-parent', `${base}..main`)
        .split('\n')
        .reverse();
      expect(firstParent).toHaveLength(RUNS);
      expect(new Set(firstParent)).toEqual(new Set(results.map((result) => result.commitSha)));
      expect(git(manifestsRepo, 'rev-list', '--merges', `${base}..main`)).toBe('');
      for (const sha of firstParent) {
        expect(git(manifestsRepo, 'diff-tree', '--no-commit-id', '--name-only', '-r', sha)).toMatch(
          /^apps\/app-\d+\/values\.yaml$/,
        );
      }
      for (let index = 1; index <= RUNS; index++) {
        expect(git(manifestsRepo, 'show', `main:${fileOf(index)}`)).toBe(
          valuesOf(index, 'v0.0.1').trimEnd(),
        );
      }
      // There was contention: refused fast-forwards were read again and retried.
      const refused = harness.sandbox.github.requests
        .slice(requestsBefore)
        .filter((request) => request.method === 'PATCH' && request.status === 422);
      expect(refused.length).toBeGreaterThan(0);
      expect(results.reduce((sum, result) => sum + result.attempts, 0)).toBe(RUNS + refused.length);

      // As on GitHub, moving the branch back (not a fast-forward) is refused without force.
      const rewind = await fetch(
        `${harness.sandbox.github.url}/repos/${manifestsRepo.fullName}/git/refs/heads/main`,
        { method: 'PATCH', body: JSON.stringify({ sha: base, force: false }) },
      );
      expect(rewind.status).toBe(422);
      expect(await rewind.json()).toMatchObject({ message: 'Update is not a fast forward' });
      expect(branches(manifestsRepo)).toEqual(['main']);
      expect(git(manifestsRepo, 'rev-list', '--count', `${base}..main`)).toBe(String(RUNS));
    },
    300_000,
  );
});
