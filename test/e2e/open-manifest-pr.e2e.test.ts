import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { node24Path, runAction } from '../support/action-runner.js';
import {
  startGitHubServer,
  type GitHubTestServer,
  type TestRepo,
} from '../support/github-server.js';

// The committed bundle under Node 24 against the GitHub test server: a checkout of the manifests
// repository where update-manifest changed a file, and an application repository with release tags.
const action = 'actions/open-manifest-pr';
const IMAGE = '008577686731.dkr.ecr.us-gov-west-1.amazonaws.com/dsva/cms-drupal';
const VALUES = 'apps/vsp-cms/values.yaml';
const valuesAt = (tag: string) =>
  `# cms\ndeployment:\n  container:\n    image: ${IMAGE}:${tag} # release\n`;

let server: GitHubTestServer;
let manifests: TestRepo;
let app: TestRepo;
let workspace: string;

beforeAll(async () => {
  node24Path();
  server = await startGitHubServer();
  manifests = await server.createRepo(
    'department-of-veterans-affairs/vsp-infra-application-manifests',
  );
  manifests.addTeam('cms-infrastructure');
  await manifests.commit('vsp-cms at v0.0.417', { [VALUES]: valuesAt('v0.0.417') });
  app = await server.createRepo('department-of-veterans-affairs/va.gov-cms');
  await app.createTag('v0.0.417', await app.head());
  await app.commit('Fix the contact form (#12)', { 'form.php': '1' });
  await app.commit('Add the events page', { 'events.php': '1' });
  await app.createTag('v0.0.418', await app.head());
  workspace = await mkdtemp(join(tmpdir(), 'open-manifest-pr-e2e-'));
}, 120_000);

afterAll(async () => {
  await server.close();
  await rm(workspace, { recursive: true, force: true });
});

/** A fresh checkout of the manifests repository with the file as update-manifest leaves it. */
async function checkoutWith(name: string, tag: string): Promise<string> {
  const dir = join(workspace, name);
  execFileSync('git', ['clone', '-q', manifests.gitDir, dir]);
  await writeFile(join(dir, VALUES), valuesAt(tag));
  return dir;
}

const baseInputs = (dir: string, version: string, previous: string) => ({
  token: 'ghs_manifests_token',
  'app-token': 'ghs_app_token',
  repository: manifests.fullName,
  path: dir,
  files: JSON.stringify([VALUES]),
  app: 'vsp-cms',
  version,
  'previous-version': previous,
  image: IMAGE,
  'release-notes-from': app.fullName,
  'release-tag': version,
  'team-reviewers': 'cms-infrastructure',
  labels: 'deploy',
});

const env = () => ({
  GITHUB_API_URL: server.url,
  GITHUB_RUN_ID: '4242',
  GITHUB_SERVER_URL: 'https://github.com',
  GITHUB_REPOSITORY: app.fullName,
});

describe('dist/open-manifest-pr under Node 24', () => {
  it('opens the release PR with labels, team review, notes; re-run is unchanged; a newer release supersedes it', async () => {
    const dir = await checkoutWith('first', 'v0.0.418');
    const run = await runAction({
      action,
      env: env(),
      inputs: baseInputs(dir, 'v0.0.418', 'v0.0.417'),
    });
    expect(run.stdout).not.toContain('::error::');
    expect(run.exitCode).toBe(0);
    expect(run.outputs).toMatchObject({
      operation: 'created',
      branch: 'release/vsp-cms/v0.0.418',
      superseded: '[]',
    });
    expect(run.stdout).toContain('::add-mask::ghs_manifests_token');
    expect(run.stdout).toContain('::add-mask::ghs_app_token');
    const [pull] = await manifests.pulls();
    expect(pull).toMatchObject({
      number: Number(run.outputs['pull-request-number']),
      title: 'Release vsp-cms v0.0.418',
      state: 'open',
      head: 'release/vsp-cms/v0.0.418',
      base: 'main',
      requestedTeams: ['cms-infrastructure'],
    });
    expect(pull?.labels).toEqual(expect.arrayContaining(['release:vsp-cms', 'deploy']));
    expect(pull?.body).toContain('| vsp-cms | apps/vsp-cms | v0.0.417 → v0.0.418 |');
    expect(pull?.body).toContain('Fix the contact form');
    expect(pull?.body).toContain('Add the events page');
    expect(pull?.body).toContain('run 4242');
    const committed = execFileSync(
      'git',
      ['--git-dir', manifests.gitDir, 'show', `release/vsp-cms/v0.0.418:${VALUES}`],
      { encoding: 'utf8' },
    );
    expect(committed).toBe(valuesAt('v0.0.418'));
    const release = (await (
      await fetch(`${server.url}/repos/${app.fullName}/releases/tags/v0.0.418`)
    ).json()) as { tag_name: string; draft: boolean };
    expect(release).toMatchObject({ tag_name: 'v0.0.418', draft: false });
    expect(run.outputs['release-url']).not.toBe('');
    expect(run.summary).toContain('| created |');

    const again = await runAction({
      action,
      env: env(),
      inputs: baseInputs(dir, 'v0.0.418', 'v0.0.417'),
    });
    expect(again.exitCode).toBe(0);
    expect(again.outputs.operation).toBe('unchanged');
    expect(await manifests.pulls()).toHaveLength(1);

    await app.commit('Next', { 'next.php': '1' });
    await app.createTag('v0.0.419', await app.head());
    const nextDir = await checkoutWith('second', 'v0.0.419');
    const next = await runAction({
      action,
      env: env(),
      inputs: baseInputs(nextDir, 'v0.0.419', 'v0.0.418'),
    });
    expect(next.exitCode).toBe(0);
    expect(next.outputs.operation).toBe('created');
    expect(JSON.parse(next.outputs.superseded ?? '')).toEqual([pull?.number]);
    const pulls = await manifests.pulls();
    const old = pulls.find((candidate) => candidate.number === pull?.number);
    expect(old?.state).toBe('closed');
    expect(old?.comments.join('\n')).toContain(
      `Superseded by #${next.outputs['pull-request-number'] ?? ''}`,
    );
  }, 90_000);

  it('commits directly to the base in direct mode', async () => {
    const dir = await checkoutWith('direct', 'v0.0.420');
    const before = execFileSync('git', ['--git-dir', manifests.gitDir, 'rev-parse', 'main'], {
      encoding: 'utf8',
    }).trim();
    const run = await runAction({
      action,
      env: env(),
      inputs: { ...baseInputs(dir, 'v0.0.420', 'v0.0.417'), mode: 'direct', 'release-tag': '' },
    });
    expect(run.stdout).not.toContain('::error::');
    expect(run.outputs).toMatchObject({ operation: 'committed', branch: 'main' });
    const log = execFileSync(
      'git',
      ['--git-dir', manifests.gitDir, 'log', '--format=%P %s', '-1', 'main'],
      { encoding: 'utf8' },
    );
    expect(log.trim()).toBe(`${before} Release vsp-cms v0.0.420`);
    expect(
      execFileSync('git', ['--git-dir', manifests.gitDir, 'show', `main:${VALUES}`], {
        encoding: 'utf8',
      }),
    ).toBe(valuesAt('v0.0.420'));
  }, 60_000);

  it("direct mode on a base that moved: makes update-manifest's edit again, set entries included, digest only if pinned", async () => {
    const MOVED = 'apps/vsp-cms/web.yaml';
    const web = (tag: string, ddVersion: string, replicas: number) =>
      `web:\n  replicas: ${String(replicas)}\n  image: ${IMAGE}:${tag}\n  env:\n    - name: DD_VERSION\n      value: ${ddVersion}\n`;
    await manifests.commit('web at v0.0.425', { [MOVED]: web('v0.0.425', 'v0.0.425', 2) });
    const dir = join(workspace, 'moved');
    execFileSync('git', ['clone', '-q', manifests.gitDir, dir]);
    // update-manifest's edit in the checkout, then a teammate scales up on the base meanwhile.
    await writeFile(join(dir, MOVED), web('v0.0.430', 'v0.0.430', 2));
    await manifests.commit('Scale web to 3', { [MOVED]: web('v0.0.425', 'v0.0.425', 3) });
    const edit = {
      image: IMAGE,
      tag: 'v0.0.430',
      set: ['web.env[name=DD_VERSION].value={version}'],
      format: 'v0.0.{n}',
      allowDowngrade: false,
    };
    const run = await runAction({
      action,
      env: env(),
      inputs: {
        ...baseInputs(dir, 'v0.0.430', 'v0.0.425'),
        files: JSON.stringify([MOVED]),
        mode: 'direct',
        'release-tag': '',
        // The workflow passes the digest for the body; the edit did not pin it.
        digest: `sha256:${'ef'.repeat(32)}`,
        edit: JSON.stringify(edit),
      },
    });
    expect(run.stdout).not.toContain('::error::');
    expect(run.outputs).toMatchObject({ operation: 'committed', branch: 'main' });
    expect(
      execFileSync('git', ['--git-dir', manifests.gitDir, 'show', `main:${MOVED}`], {
        encoding: 'utf8',
      }),
    ).toBe(web('v0.0.430', 'v0.0.430', 3));
  }, 60_000);

  it('says each warning once: a reviewer who is not a collaborator', async () => {
    const dir = await checkoutWith('warning', 'v0.0.431');
    const run = await runAction({
      action,
      env: env(),
      inputs: {
        ...baseInputs(dir, 'v0.0.431', 'v0.0.430'),
        reviewers: 'not-a-collaborator',
        'release-tag': '',
      },
    });
    expect(run.exitCode).toBe(0);
    const warnings = run.stdout
      .split('\n')
      .filter((line) => line.startsWith('::warning::') && line.includes('not-a-collaborator'));
    expect(warnings).toHaveLength(1);
  }, 60_000);

  it('rebuilds a release branch planted before the release: the pull request and its body hold only the release', async () => {
    const PROD = 'apps/vsp-cms-prod/values.yaml';
    const PLANTED = 'apps/vsp-cms/relay.yaml';
    const branch = 'release/vsp-cms/v0.0.440';
    const git = (...args: string[]) =>
      execFileSync('git', ['--git-dir', manifests.gitDir, ...args], { encoding: 'utf8' }).trim();
    await manifests.commit('vsp-cms-prod at v0.0.417', { [PROD]: valuesAt('v0.0.417') });
    const dir = await checkoutWith('planted', 'v0.0.440');
    // The next version is predictable: someone with push rights creates its branch first.
    const planted = await manifests.commit(
      'Release vsp-cms v0.0.440',
      {
        [VALUES]: valuesAt('v0.0.440'),
        [PROD]: valuesAt('v0.0.440'),
        [PLANTED]: 'image: example.com/relay:latest\n',
      },
      { branch },
    );
    const inputs = { ...baseInputs(dir, 'v0.0.440', 'v0.0.431'), 'release-tag': '' };

    const run = await runAction({ action, env: env(), inputs });

    expect(run.stdout).not.toContain('::error::');
    expect(run.exitCode).toBe(0);
    expect(run.outputs).toMatchObject({ operation: 'created', branch });
    expect(git('diff', '--name-only', `main...${branch}`)).toBe(VALUES);
    expect(git('rev-parse', `${branch}^`)).toBe(git('rev-parse', 'main'));
    expect(git('branch', '--contains', planted)).toBe('');
    const branchWarnings = (stdout: string) =>
      stdout.split('\n').filter((line) => line.startsWith('::warning::the branch'));
    expect(branchWarnings(run.stdout)).toEqual([
      expect.stringContaining(
        `the branch ${branch} (${manifests.fullName}) held changes this release did not make (files ${PROD}, ${PLANTED})`,
      ),
    ]);
    const opened = (await manifests.pulls()).filter((pull) => pull.head === branch);
    expect(opened).toHaveLength(1);
    expect(opened[0]?.body).toContain(`Changed files: \`${VALUES}\`\n`);
    expect(opened[0]?.body).not.toMatch(/vsp-cms-prod|relay/);

    // The same release again: the rebuilt branch is the release's own, so nothing moves.
    const tip = git('rev-parse', branch);
    const again = await runAction({ action, env: env(), inputs });
    expect(again.exitCode).toBe(0);
    expect(again.outputs).toMatchObject({ operation: 'unchanged', 'commit-sha': tip });
    expect(branchWarnings(again.stdout)).toEqual([]);
    expect(git('rev-parse', branch)).toBe(tip);
    expect((await manifests.pulls()).filter((pull) => pull.head === branch)).toHaveLength(1);
  }, 90_000);

  it('fails with the missing permission and leaves no branch for a read-only token', async () => {
    manifests.setTokenPermissions('ghs_read_only', { contents: 'read', pull_requests: 'read' });
    const dir = await checkoutWith('forbidden', 'v0.0.421');
    const run = await runAction({
      action,
      env: env(),
      inputs: {
        ...baseInputs(dir, 'v0.0.421', 'v0.0.420'),
        token: 'ghs_read_only',
        'release-tag': '',
      },
    });
    expect(run.exitCode).toBe(1);
    const errors = run.stdout.split('\n').filter((line) => line.startsWith('::error::'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain('open-manifest-pr failed: ');
    expect(errors[0]).toContain('contents: write');
    const branches = execFileSync(
      'git',
      ['--git-dir', manifests.gitDir, 'branch', '--list', 'release/vsp-cms/v0.0.421'],
      { encoding: 'utf8' },
    );
    expect(branches.trim()).toBe('');
  }, 60_000);

  it('without files, refuses an untracked symlink out of the checkout: nothing committed, no pull request', async () => {
    const secret = join(workspace, 'runner-secret.txt');
    await writeFile(secret, 'AKIA-runner-secret\n');
    const dir = await checkoutWith('leak', 'v0.0.600');
    await mkdir(join(dir, 'prod'));
    await symlink(secret, join(dir, 'prod/leak.yaml'));
    const main = () =>
      execFileSync('git', ['--git-dir', manifests.gitDir, 'rev-parse', 'main'], {
        encoding: 'utf8',
      }).trim();
    const before = { main: main(), pulls: (await manifests.pulls()).length };

    const run = await runAction({
      action,
      env: env(),
      inputs: { ...baseInputs(dir, 'v0.0.600', 'v0.0.420'), files: '', 'release-tag': '' },
    });

    expect(run.exitCode).toBe(1);
    const errors = run.stdout.split('\n').filter((line) => line.startsWith('::error::'));
    expect(errors).toEqual([
      `::error::open-manifest-pr failed: input 'path': "prod/leak.yaml", changed or untracked in the checkout, is a symlink to ${secret}, outside the checkout at 'path': delete it, or name the files to commit in 'files'`,
    ]);
    expect(run.stdout).not.toContain('AKIA-runner-secret');
    expect(main()).toBe(before.main);
    expect(await manifests.pulls()).toHaveLength(before.pulls);
    const branches = execFileSync(
      'git',
      ['--git-dir', manifests.gitDir, 'branch', '--list', 'release/vsp-cms/v0.0.600'],
      { encoding: 'utf8' },
    );
    expect(branches.trim()).toBe('');
  }, 60_000);

  it.each([
    [{ files: '["../../etc/passwd"]' }, "input 'files'"],
    [{ mode: 'force-push' }, "input 'mode'"],
    [{ token: '' }, "input 'token'"],
    [{ version: '' }, "input 'version'"],
  ])('fails %j with one line naming the input', async (overrides, message) => {
    const dir = await checkoutWith(`bad-${String(Math.random()).slice(2)}`, 'v0.0.500');
    const pullsBefore = (await manifests.pulls()).length;
    const run = await runAction({
      action,
      env: env(),
      inputs: { ...baseInputs(dir, 'v0.0.500', 'v0.0.420'), ...overrides },
    });
    expect(run.exitCode).toBe(1);
    const errors = run.stdout.split('\n').filter((line) => line.startsWith('::error::'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain(message);
    expect(await manifests.pulls()).toHaveLength(pullsBefore);
    expect(await readFile(join(dir, VALUES), 'utf8')).toBe(valuesAt('v0.0.500'));
  });
});
