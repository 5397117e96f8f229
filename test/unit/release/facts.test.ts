/** The one pull-request body and the one release body, from the release facts. */
import { describe, expect, it } from '@jest/globals';
import {
  deploymentOf,
  fillTemplate,
  imageText,
  pullRequestBody,
  releaseBody,
  type ReleaseFacts,
} from '../../../packages/release/facts.js';

const SHA = 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678';
const DIGEST = `sha256:${'ab'.repeat(32)}`;

const facts: ReleaseFacts = {
  app: 'cms',
  version: 'v0.0.418',
  previousVersion: 'v0.0.417',
  appRepository: 'octo-org/cms',
  commit: SHA,
  image: { reference: '127.0.0.1:5000/dsva/cms:v0.0.418', digest: DIGEST },
  environment: 'apps/vsp-cms',
  changedFiles: ['apps/vsp-cms/values.yaml'],
  notes: {
    commits: [],
    total: 1,
    omitted: 0,
    firstRelease: false,
    compareUrl: 'https://github.com/octo-org/cms/compare/v0.0.417...a1b2c3d',
    markdown: '- Fix the form (a1b2c3d)\n',
  },
};

describe('pullRequestBody', () => {
  it('names the source branch and how far it is behind the default branch', () => {
    const behind = pullRequestBody({
      ...facts,
      source: { ref: 'feature/old_fork', defaultBranch: 'main', behindDefault: 12 },
    });
    expect(behind).toContain(
      'Source: feature/old\\_fork at `a1b2c3d`, **12 commits behind `main`** (not in this release).',
    );
    const current = pullRequestBody({
      ...facts,
      source: { ref: undefined, defaultBranch: 'main', behindDefault: 0 },
    });
    expect(current).toContain('Source: commit at `a1b2c3d`, up to date with `main`.');
    // A branch name is the pusher's text: inert like the commit subjects.
    const hostile = pullRequestBody({
      ...facts,
      source: { ref: '@octo-org/admins<!--', defaultBranch: 'main', behindDefault: 1 },
    });
    expect(hostile).toContain('Source: `@octo-org/admins`\\<\\!--');
    expect(pullRequestBody(facts)).not.toContain('Source:');
  });

  it('holds the table, the changes with their compare link, the files and the origin', () => {
    expect(pullRequestBody(facts, { run: '[release run 7](https://x/runs/7)' })).toBe(
      [
        '| App | Environment | Version | Image |',
        '| --- | --- | --- | --- |',
        `| cms | apps/vsp-cms | v0.0.417 → v0.0.418 | \`127.0.0.1:5000/dsva/cms:v0.0.418@${DIGEST}\` |`,
        '',
        '### Changes since v0.0.417',
        '',
        '- Fix the form (a1b2c3d)',
        '',
        '[Compare v0.0.417...v0.0.418](https://github.com/octo-org/cms/compare/v0.0.417...a1b2c3d)',
        '',
        'Changed files: `apps/vsp-cms/values.yaml`',
        '',
        '---',
        'Released from octo-org/cms@a1b2c3d by [release run 7](https://x/runs/7).',
        '',
      ].join('\n'),
    );
  });

  it("puts a downgrade's caution first and the caller's text above the table", () => {
    const body = pullRequestBody(
      { ...facts, version: 'v0.0.416', downgradeReason: 'v0.0.417 | breaks uploads' },
      { body: '  Ships the form fix.\n' },
    );
    const caution = body.indexOf('> [!CAUTION]');
    const own = body.indexOf('Ships the form fix.');
    expect(caution).toBe(0);
    expect(own).toBeGreaterThan(caution);
    expect(own).toBeLessThan(body.indexOf('| App |'));
    // The reason is a table cell's text: a pipe cannot end the quote early.
    expect(body).toContain('Reason given: v0.0.417 \\| breaks uploads');
  });

  it('says a promoted image was not rebuilt, and a hotfix is one', () => {
    const body = pullRequestBody({
      ...facts,
      version: 'v0.0.417-1',
      hotfix: true,
      image: { reference: 'dsva/cms', promotedFrom: 'v0.0.410' },
    });
    expect(body).toContain(
      '| v0.0.417 → v0.0.417-1 (hotfix) | `dsva/cms:v0.0.417-1` (promoted from v0.0.410, not rebuilt) |',
    );
  });

  it("names a promotion's source: digest, revision and the run that built it, in both bodies", () => {
    const promoted: ReleaseFacts = {
      ...facts,
      image: {
        reference: '127.0.0.1:5000/dsva/cms:v0.0.418',
        digest: DIGEST,
        promotedFrom: 'rc-57',
        source: {
          digest: DIGEST,
          revision: SHA,
          run: 'https://github.com/octo-org/cms/actions/runs/7',
        },
      },
    };
    const origin = `(promoted from rc-57 (${DIGEST}, revision a1b2c3d, built by https://github.com/octo-org/cms/actions/runs/7), not rebuilt)`;
    expect(pullRequestBody(promoted)).toContain(origin);
    expect(releaseBody(promoted, { kind: 'pull-request', url: 'https://x/pull/3' })).toContain(
      origin,
    );
    const unknown = pullRequestBody({
      ...promoted,
      image: { ...promoted.image, reference: 'dsva/cms', source: { digest: DIGEST } },
    });
    expect(unknown).toContain(`(promoted from rc-57 (${DIGEST}, revision unknown), not rebuilt)`);
  });

  it('reads without a previous version, notes or commit', () => {
    const body = pullRequestBody({ app: 'cms', version: 'v0.0.1' });
    expect(body).toContain('| cms | . | (none) → v0.0.1 |  |');
    expect(body).toContain('Changed files: (none)');
    expect(body).toContain('Released by gitops-release-actions.');
    expect(body).not.toContain('### Changes');
  });
});

describe('releaseBody', () => {
  it('names the image, where the manifests changed and the changes', () => {
    expect(releaseBody(facts, { kind: 'pull-request', url: 'https://x/pull/3' })).toBe(
      [
        `Image: \`127.0.0.1:5000/dsva/cms:v0.0.418@${DIGEST}\``,
        'Manifest pull request: https://x/pull/3',
        '- Fix the form (a1b2c3d)',
      ].join('\n\n'),
    );
    expect(releaseBody(facts, { kind: 'commit', repository: 'va/manifests', sha: SHA })).toContain(
      `Manifest commit: va/manifests@${SHA}`,
    );
    expect(
      releaseBody(
        { ...facts, downgradeReason: 'rollback' },
        {
          kind: 'unchanged',
          repository: 'va/manifests',
          base: 'main',
        },
      ),
    ).toContain(
      'Downgrade, reason given: rollback\n\nManifests already at v0.0.418 in va/manifests@main',
    );
  });
});

describe('the small renderings', () => {
  it('adds the tag to an image named without one', () => {
    expect(imageText({ ...facts, image: { reference: 'host:5000/dsva/cms' } })).toBe(
      'host:5000/dsva/cms:v0.0.418',
    );
  });

  it('fills title templates', () => {
    expect(fillTemplate('Release {app} {version} ({previous-version}, {environment})', facts)).toBe(
      'Release cms v0.0.418 (v0.0.417, apps/vsp-cms)',
    );
  });

  it('tells the deployment from a change result', () => {
    const change = { changed: true, commitSha: SHA };
    expect(deploymentOf({ ...change, pullRequest: { url: 'u' } }, 'r', 'main')).toEqual({
      kind: 'pull-request',
      url: 'u',
    });
    expect(deploymentOf(change, 'r', 'main')).toEqual({
      kind: 'commit',
      repository: 'r',
      sha: SHA,
    });
    expect(deploymentOf(undefined, 'r', 'main')).toEqual({
      kind: 'unchanged',
      repository: 'r',
      base: 'main',
    });
  });
});
