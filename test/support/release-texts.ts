/**
 * What the approvers of a release read, written out literally: the pull-request body and the
 * GitHub release body of a release. The workflow, composite and CLI end-to-end tests each compare
 * what their release left on the test server with these, so the same release reads the same
 * whichever driver ran it. Only the run link differs (a workflow run has one, a terminal not).
 */
import { createGitHubClient, GitHubRepository, releaseNotes } from '../../packages/github/index.js';
import { parseRepositoryInput, silentLogger } from '../../packages/kit/index.js';
import { parseRecord, withRecord } from '../../packages/release/provenance.js';
import {
  APP,
  MANIFESTS_PATH,
  MANIFESTS_REPOSITORY,
  VALUES_FILE,
  type ReleaseFixture,
} from './workflow-runner/release-fixture.js';

export interface ReleaseTextFacts {
  readonly app: string;
  /** The environment's folder, `.` for the root. */
  readonly environment: string;
  readonly previous: string;
  readonly version: string;
  /** `<registry>/<repository>:<tag>` as pushed. */
  readonly image: string;
  readonly digest: string;
  readonly appRepository: string;
  readonly sha: string;
  readonly gitTagPrefix?: string;
  readonly files: readonly string[];
  readonly pullRequestUrl: string;
  /** The caller's own text, above the table. */
  readonly body?: string;
  /** The branch the release was asked for; undefined when only the commit is known. */
  readonly sourceRef?: string | undefined;
}

export interface ReleaseTexts {
  readonly pullRequestBody: string;
  /** Without the provenance record, which is recordDigest. */
  readonly releaseBody: string;
  /** The digest the release's provenance record names. */
  readonly recordDigest: string | undefined;
}

/** A workflow run's link in the body's last line, as a terminal's run has none. */
export function withoutRunLink(body: string): string {
  return body.replace(/ by \[[^\]]*\]\([^)]*\)\.\n$/, ' by gitops-release-actions.\n');
}

/** The commits of the release as the app repository's compare API lists them (newest first). */
async function notesOf(serverUrl: string, token: string, facts: ReleaseTextFacts) {
  const repository = new GitHubRepository(
    createGitHubClient({ token, baseUrl: serverUrl, logger: silentLogger }),
    parseRepositoryInput('app', facts.appRepository),
  );
  return releaseNotes(repository, {
    from: (facts.gitTagPrefix ?? '') + facts.previous,
    to: facts.sha,
  });
}

/** The two texts of a release that moved the manifests from `previous` to `version`. */
export async function expectedReleaseTexts(
  serverUrl: string,
  token: string,
  facts: ReleaseTextFacts,
): Promise<ReleaseTexts> {
  const notes = await notesOf(serverUrl, token, facts);
  const image = `${facts.image}@${facts.digest}`;
  return {
    pullRequestBody: [
      ...(facts.body === undefined ? [] : [facts.body, '']),
      '| App | Environment | Version | Image |',
      '| --- | --- | --- | --- |',
      `| ${facts.app} | ${facts.environment} | ${facts.previous} → ${facts.version} | \`${image}\` |`,
      '',
      `Source: ${facts.sourceRef ?? 'commit'} at \`${facts.sha.slice(0, 7)}\`, up to date with \`main\`.`,
      '',
      `### Changes since ${facts.previous}`,
      '',
      notes.markdown,
      '',
      `[Compare ${facts.previous}...${facts.version}](${notes.compareUrl ?? ''})`,
      '',
      `Changed files: ${facts.files.map((file) => `\`${file}\``).join(', ')}`,
      '',
      '---',
      `Released from ${facts.appRepository}@${facts.sha.slice(0, 7)} by gitops-release-actions.`,
      '',
    ].join('\n'),
    releaseBody: [
      `Image: \`${image}\``,
      `Manifest pull request: ${facts.pullRequestUrl}`,
      notes.markdown,
    ].join('\n\n'),
    recordDigest: facts.digest,
  };
}

/** The texts a release left: its pull request's body and its GitHub release's body. */
export async function releaseTextsOn(
  serverUrl: string,
  repositories: { readonly app: string; readonly manifests: string },
  gitTag: string,
  pullRequestNumber: number,
): Promise<ReleaseTexts> {
  const read = async (path: string): Promise<{ body: string | null }> => {
    const response = await fetch(`${serverUrl}${path}`);
    if (!response.ok) throw new Error(`GET ${path}: ${String(response.status)}`);
    return (await response.json()) as { body: string | null };
  };
  const pull = await read(`/repos/${repositories.manifests}/pulls/${String(pullRequestNumber)}`);
  const release = await read(`/repos/${repositories.app}/releases/tags/${gitTag}`);
  return {
    pullRequestBody: withoutRunLink(pull.body ?? ''),
    releaseBody: withRecord(release.body ?? '', undefined),
    recordDigest: parseRecord(release.body ?? '')?.digest,
  };
}

/**
 * The texts of the release fixture's v0.0.418 (v0.0.417 → v0.0.418 of the default environment),
 * as left on the server and as expected: the reusable workflow and the composite compare the two.
 */
export async function fixtureReleaseTexts(
  fixture: ReleaseFixture,
  outputs: Readonly<Record<string, string | undefined>>,
  sha: string,
): Promise<{ readonly actual: ReleaseTexts; readonly expected: ReleaseTexts }> {
  const pullRequestUrl = outputs['pull-request-url'] ?? '';
  const [token = ''] = [...fixture.tokens.keys()];
  const repositories = { app: fixture.app.fullName, manifests: MANIFESTS_REPOSITORY };
  const number = Number(pullRequestUrl.split('/').pop());
  return {
    actual: await releaseTextsOn(fixture.server.url, repositories, 'v0.0.418', number),
    expected: await expectedReleaseTexts(fixture.server.url, token, {
      app: APP,
      environment: MANIFESTS_PATH,
      previous: 'v0.0.417',
      version: 'v0.0.418',
      image: outputs.image ?? '',
      digest: outputs.digest ?? '',
      appRepository: fixture.app.fullName,
      sha,
      files: [VALUES_FILE],
      pullRequestUrl,
      // The workflow interpreter's github.ref_name (a push to main), the composite's too.
      sourceRef: 'main',
    }),
  };
}
