/**
 * The bad-input corpus: every case runs the committed dist bundle under Node 24, as the runner does,
 * and must fail with exit code 1 and exactly one `::error::` line that names the input at fault and
 * says how to fix it, having changed nothing (workspace files byte-identical, no ref created on the
 * GitHub test server, no ECR call at all) and printed none of the secrets it was given.
 *
 * Cases run concurrently; shared servers start lazily (test.concurrent does not wait for beforeAll).
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import { execFile, execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  cp,
  lstat,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  readlink,
  rm,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { node24Path, ROOT, runAction, type ActionRun } from '../support/action-runner.js';
import { registryAvailability, startRegistry, type TestRegistry } from '../support/docker/index.js';
import { startEcrServer, type EcrTestServer } from '../support/ecr-server/index.js';
import { startArgoCdServer, type ArgoCdTestServer } from '../support/argocd-server/server.js';
import {
  deploymentsOf,
  startGitHubServer,
  type GitHubTestServer,
  type TestRepo,
} from '../support/github-server.js';

const IMAGE = '008577686731.dkr.ecr.us-gov-west-1.amazonaws.com/dsva/cms-drupal';
const LONG_TAG = `v0.0.${'9'.repeat(124)}`; // 129 characters: one over the image tag limit
const VALUES_FIXTURE = join(ROOT, 'test/fixtures/manifests/helm-values-ecr-govcloud/input');
/** The size limit update-manifest puts on one manifest file (documented in its README). */
const MANIFEST_LIMIT_MIB = 2;

interface BadInputCase {
  /** What is wrong, for the test name. */
  readonly name: string;
  readonly inputs: Record<string, string>;
  /** The input the one error line must name: `input '<name>'` or `'<name>'`. */
  readonly input: string;
  /** Text of the fix (or of the precise problem) the error line must hold. */
  readonly hint: string;
  /** Prepares the workspace (symlinks, huge or broken files) before the snapshot is taken. */
  readonly setup?: (workspace: string) => Promise<void>;
}

// --- shared parts, started once on first use --------------------------------------------------

let work: Promise<string> | undefined;
const workRoot = (): Promise<string> => (work ??= mkdtemp(join(tmpdir(), 'bad-input-e2e-')));

async function freshDir(name: string): Promise<string> {
  const dir = join(await workRoot(), `${name}-${randomBytes(4).toString('hex')}`);
  await mkdir(dir, { recursive: true });
  return dir;
}

interface GitHubParts {
  readonly server: GitHubTestServer;
  readonly app: TestRepo;
}
let github: Promise<GitHubParts> | undefined;
const gitHubParts = (): Promise<GitHubParts> =>
  (github ??= (async () => {
    node24Path();
    const server = await startGitHubServer();
    const app = await server.createRepo('octo-org/cms');
    await app.createTags(['v0.0.998', 'v0.0.999', 'latest'], await app.head());
    return { server, app };
  })());

/** A manifests repository of the case's own, so a ref a case leaks is blamed on that case. */
async function manifestsRepo(server: GitHubTestServer): Promise<TestRepo> {
  const repo = await server.createRepo(`octo-org/manifests-${randomBytes(4).toString('hex')}`);
  await repo.commit('vsp-cms at v0.0.417', {
    'values.yaml': await readFile(join(VALUES_FIXTURE, 'values.yaml'), 'utf8'),
  });
  return repo;
}

interface EcrParts {
  readonly registry: TestRegistry;
  readonly ecr: EcrTestServer;
}
const ecrAvailability = registryAvailability();
let ecrStarted: Promise<EcrParts> | undefined;
const ecrParts = (): Promise<EcrParts> =>
  (ecrStarted ??= (async () => {
    const registry = await startRegistry();
    const ecr = await startEcrServer({
      registry,
      accountId: '008577686731',
      region: 'us-gov-west-1',
    });
    ecr.createRepository('team/cms', { imageTagMutability: 'IMMUTABLE' });
    ecr.createRepository('dsva/cms-drupal', { imageTagMutability: 'IMMUTABLE' });
    return { registry, ecr };
  })());

afterAll(async () => {
  if (argoStarted) await (await argoStarted).argo.close();
  if (github) await (await github).server.close();
  if (ecrStarted) {
    const { ecr, registry } = await ecrStarted;
    await ecr.close();
    await registry.stop();
  }
  if (work) await rm(await work, { recursive: true, force: true });
}, 60_000);

/** Fake AWS credentials aimed at the ECR test server: any call a bad input lets through is recorded. */
async function awsEnv(keyId: string, secret: string): Promise<Record<string, string>> {
  const endpoint = ecrAvailability.ok ? (await ecrParts()).ecr.endpoint : 'http://127.0.0.1:9'; // nothing listens: a call would fail, and the message would say so
  return {
    AWS_ACCESS_KEY_ID: keyId,
    AWS_SECRET_ACCESS_KEY: secret,
    AWS_ENDPOINT_URL_ECR: endpoint,
    AWS_EC2_METADATA_DISABLED: 'true',
  };
}

/** A key id of its own per case, so the ECR calls a case made can be told apart. */
const accessKeyId = (): string => `AKIA${randomBytes(8).toString('hex').toUpperCase()}`;

async function ecrCalls(keyId: string): Promise<string[]> {
  if (!ecrStarted) return [];
  const { ecr } = await ecrStarted;
  return ecr.requests
    .filter((request) => request.accessKeyId === keyId)
    .map((request) => request.operation);
}

// --- what every case asserts ------------------------------------------------------------------

/** Every file and symlink under `dir` (symlinks not followed) with a hash of its bytes or target. */
async function snapshot(dir: string): Promise<Record<string, string>> {
  const result: Record<string, string> = {};
  const visit = async (current: string, prefix: string): Promise<void> => {
    for (const entry of await readdir(current, { withFileTypes: true })) {
      const path = join(current, entry.name);
      const name = `${prefix}${entry.name}`;
      const stats = await lstat(path);
      if (stats.isSymbolicLink()) result[name] = `-> ${await readlink(path)}`;
      else if (stats.isDirectory()) await visit(path, `${name}/`);
      else {
        const hash = createHash('sha256')
          .update(await readFile(path))
          .digest('hex');
        result[name] = `${hash} ${(stats.mode & 0o7777).toString(8)}`;
      }
    }
  };
  await visit(dir, '');
  return result;
}

function refs(repo: TestRepo): string {
  return execFileSync(
    'git',
    ['--git-dir', repo.gitDir, 'for-each-ref', '--format=%(refname) %(objectname)'],
    {
      encoding: 'utf8',
    },
  );
}

function expectOneLineFailure(
  run: ActionRun,
  action: string,
  testCase: BadInputCase,
  secrets: readonly string[],
): void {
  const errors = run.stdout.split('\n').filter((line) => line.startsWith('::error'));
  expect(errors).toHaveLength(1);
  const [error = ''] = errors;
  expect(error.startsWith(`::error::${action} failed: `)).toBe(true);
  expect(error).toContain(`'${testCase.input}'`);
  expect(error).toContain(testCase.hint);
  // No stack trace anywhere: a crash prints `    at ` frames on stderr.
  expect(`${run.stdout}\n${run.stderr}`).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
  expect(run.exitCode).toBe(1);
  const printed = [
    run.stdout
      .split('\n')
      .filter((line) => !line.startsWith('::add-mask::'))
      .join('\n'),
    run.stderr,
    run.summary,
    JSON.stringify(run.outputs),
  ].join('\n');
  for (const secret of secrets) expect(printed).not.toContain(secret);
}

const caseName = (testCase: BadInputCase): string => testCase.name;
const secret = (prefix: string): string => `${prefix}${randomBytes(12).toString('hex')}`;

// --- compute-version --------------------------------------------------------------------------

const computeVersionCases: BadInputCase[] = [
  {
    name: 'hotfix-of v0.0.x',
    inputs: { 'hotfix-of': 'v0.0.x' },
    input: 'hotfix-of',
    hint: 'give a release such as v0.0.417',
  },
  {
    name: 'hotfix-of 1.2',
    inputs: { 'hotfix-of': '1.2' },
    input: 'hotfix-of',
    hint: 'give a release such as v0.0.417',
  },
  {
    name: 'hotfix-of v0.0.-1',
    inputs: { 'hotfix-of': 'v0.0.-1' },
    input: 'hotfix-of',
    hint: 'give a release such as v0.0.417',
  },
  {
    name: 'hotfix-of v0.0.1--2',
    inputs: { 'hotfix-of': 'v0.0.1--2' },
    input: 'hotfix-of',
    hint: 'give a release such as v0.0.417',
  },
  {
    name: 'hotfix-of a 129-character tag',
    inputs: { 'hotfix-of': LONG_TAG },
    input: 'hotfix-of',
    hint: 'give a release such as v0.0.417',
  },
  {
    name: 'hotfix-of a carriage return inside',
    inputs: { 'hotfix-of': 'v0.0.999\rv0.0.998' },
    input: 'hotfix-of',
    hint: 'give a release such as v0.0.417',
  },
  {
    name: 'hotfix-of a release that does not exist',
    inputs: { 'hotfix-of': 'v0.0.5' },
    input: 'hotfix-of',
    hint: 'v0.0.5 does not exist',
  },
  {
    name: 'hotfix-of a tag that is not a release',
    inputs: { 'hotfix-of': 'latest' },
    input: 'hotfix-of',
    hint: 'give a release such as v0.0.417',
  },
  {
    name: 'start-at negative',
    inputs: { 'start-at': '-1' },
    input: 'start-at',
    hint: 'use 1, 2, 3',
  },
  { name: 'start-at 1e30', inputs: { 'start-at': '1e30' }, input: 'start-at', hint: 'use 1, 2, 3' },
  {
    name: 'start-at beyond a safe integer',
    inputs: { 'start-at': '9007199254740993' },
    input: 'start-at',
    hint: 'use 1, 2, 3',
  },
  { name: 'start-at abc', inputs: { 'start-at': 'abc' }, input: 'start-at', hint: 'use 1, 2, 3' },
  {
    name: 'reserve yes-please',
    inputs: { reserve: 'yes-please' },
    input: 'reserve',
    hint: 'use true or false',
  },
  {
    name: 'skip-if-released maybe',
    inputs: { 'skip-if-released': 'maybe' },
    input: 'skip-if-released',
    hint: 'use true or false',
  },
  {
    name: 'repository without a name',
    inputs: { repository: 'owner' },
    input: 'repository',
    hint: 'use owner/name',
  },
  {
    name: 'repository a/b/c',
    inputs: { repository: 'a/b/c' },
    input: 'repository',
    hint: 'use owner/name',
  },
  { name: 'empty token', inputs: { token: '' }, input: 'token', hint: 'pass ${{ github.token }}' },
  {
    name: 'whitespace token',
    inputs: { token: ' \r\n ' },
    input: 'token',
    hint: 'pass ${{ github.token }}',
  },
  {
    name: 'sha not hexadecimal',
    inputs: { sha: 'v0.0.5' },
    input: 'sha',
    hint: 'use 7 to 40 hexadecimal characters',
  },
  {
    name: 'format without {n}',
    inputs: { format: 'v0.0.x' },
    input: 'format',
    hint: 'e.g. v0.0.{n}',
  },
  {
    name: 'git-tag-prefix with //',
    inputs: { 'git-tag-prefix': 'cms//' },
    input: 'git-tag-prefix',
    hint: 'not a valid start of a git tag name',
  },
  {
    name: 'sources s3',
    inputs: { sources: 'git,s3' },
    input: 'sources',
    hint: 'use git or git,ecr',
  },
  {
    name: 'sources without git',
    inputs: { sources: 'ecr', 'ecr-repository': 'dsva/cms-drupal' },
    input: 'sources',
    hint: 'must include git',
  },
  {
    name: 'ecr-repository in upper case',
    inputs: { sources: 'git,ecr', 'ecr-repository': 'DSVA/cms-drupal', region: 'us-gov-west-1' },
    input: 'ecr-repository',
    hint: 'lower',
  },
  {
    name: 'region us-gov-west1',
    inputs: { sources: 'git,ecr', 'ecr-repository': 'dsva/cms-drupal', region: 'us-gov-west1' },
    input: 'region',
    hint: 'us-gov-west-1',
  },
  {
    name: 'region us-gov-wst-1',
    inputs: { sources: 'git,ecr', 'ecr-repository': 'dsva/cms-drupal', region: 'us-gov-wst-1' },
    input: 'region',
    hint: 'us-gov-west-1',
  },
  {
    name: 'registry host of the wrong partition',
    inputs: {
      sources: 'git,ecr',
      'ecr-repository': 'dsva/cms-drupal',
      registry: '008577686731.dkr.ecr.us-gov-west-1.amazonaws.com.cn',
    },
    input: 'registry',
    hint: '008577686731.dkr.ecr.us-gov-west-1.amazonaws.com',
  },
];

describe('dist/compute-version refuses bad input', () => {
  it.concurrent.each(
    computeVersionCases.map((testCase) => [caseName(testCase), testCase] as const),
  )(
    '%s',
    async (_name, testCase) => {
      const { server, app } = await gitHubParts();
      const token = secret('ghs_');
      const awsSecret = secret('aws');
      const before = refs(app);
      const keyId = accessKeyId();
      const run = await runAction({
        action: 'actions/compute-version',
        github: { token, repository: app.fullName, sha: await app.head() },
        env: { GITHUB_API_URL: server.url, ...(await awsEnv(keyId, awsSecret)) },
        inputs: testCase.inputs,
      });
      expectOneLineFailure(run, 'compute-version', testCase, [token, awsSecret]);
      expect(run.outputs).toEqual({});
      expect(refs(app)).toBe(before);
      expect(await ecrCalls(keyId)).toEqual([]);
    },
    30_000,
  );
});

// --- update-manifest --------------------------------------------------------------------------

const billionLaughs = [
  'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
  'b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]',
  'c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]',
  'd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]',
  'e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]',
  'f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]',
  'g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]',
  'h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]',
  'i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]',
  `image: ${IMAGE}:v0.0.417`,
  '',
].join('\n');

const updateManifestCases: BadInputCase[] = [
  { name: 'tag v0.0.x', inputs: { tag: 'v0.0.x' }, input: 'tag', hint: 'e.g. v0.0.418' },
  { name: 'tag v0.0.-1', inputs: { tag: 'v0.0.-1' }, input: 'tag', hint: 'e.g. v0.0.418' },
  { name: 'tag v0.0.1--2', inputs: { tag: 'v0.0.1--2' }, input: 'tag', hint: 'e.g. v0.0.418' },
  {
    name: 'tag V0.0.5 in upper case',
    inputs: { tag: 'V0.0.5' },
    input: 'tag',
    hint: 'e.g. v0.0.418',
  },
  { name: 'tag of 129 characters', inputs: { tag: LONG_TAG }, input: 'tag', hint: 'up to 128' },
  {
    name: 'tag with a space',
    inputs: { tag: 'v0.0.5 beta' },
    input: 'tag',
    hint: 'up to 128 of [A-Za-z0-9_.-]',
  },
  {
    name: 'tag with a carriage return inside',
    inputs: { tag: 'v0.0.5\rv0.0.6' },
    input: 'tag',
    hint: 'up to 128 of [A-Za-z0-9_.-]',
  },
  {
    name: 'image: ECR URI with upper case',
    inputs: { image: '008577686731.dkr.ecr.us-gov-west-1.amazonaws.com/DSVA/cms-drupal' },
    input: 'image',
    hint: 'in lower case',
  },
  {
    name: 'image: repo:tag with spaces',
    inputs: { image: 'dsva/cms drupal:v1' },
    input: 'image',
    hint: 'e.g. 008577686731.dkr.ecr',
  },
  {
    name: 'image with a short @sha256',
    inputs: { image: 'dsva/cms-drupal@sha256:abc' },
    input: 'image',
    hint: "'digest'",
  },
  {
    name: 'image with a tag',
    inputs: { image: `${IMAGE}:v0.0.1` },
    input: 'image',
    hint: "the tag in 'tag'",
  },
  { name: 'empty image', inputs: { image: '' }, input: 'image', hint: 'e.g. dsva/cms-drupal' },
  {
    name: 'digest sha256:short',
    inputs: { digest: 'sha256:abc' },
    input: 'digest',
    hint: 'sha256: and 64 hex digits',
  },
  { name: 'files ../**', inputs: { files: '../**' }, input: 'files', hint: "without '..'" },
  {
    name: 'files absolute path',
    inputs: { files: '/etc/passwd' },
    input: 'files',
    hint: 'relative to the root',
  },
  {
    name: 'files absolute glob',
    inputs: { files: '/etc/**/*.yaml' },
    input: 'files',
    hint: 'relative to the root',
  },
  {
    name: 'values.yaml a symlink to /etc/passwd',
    inputs: {},
    input: 'files',
    hint: '/etc/passwd',
    setup: async (workspace) => {
      await rm(join(workspace, 'manifests/values.yaml'));
      await symlink('/etc/passwd', join(workspace, 'manifests/values.yaml'));
    },
  },
  {
    name: 'a directory symlink to /etc named in files',
    inputs: { files: 'etc/passwd' },
    input: 'files',
    hint: 'outside the root',
    setup: async (workspace) => symlink('/etc', join(workspace, 'manifests/etc')),
  },
  {
    name: 'YAML bomb (billion laughs) in a manifest',
    inputs: { files: 'bomb.yaml' },
    input: 'files',
    hint: 'bomb.yaml',
    setup: async (workspace) => writeFile(join(workspace, 'manifests/bomb.yaml'), billionLaughs),
  },
  {
    name: 'a 50 MB manifest',
    inputs: {},
    input: 'files',
    hint: `huge.yaml is larger than the ${String(MANIFEST_LIMIT_MIB)} MiB`,
    setup: async (workspace) => {
      const line = `# ${'x'.repeat(1021)}\n`;
      await writeFile(
        join(workspace, 'manifests/huge.yaml'),
        `image: ${IMAGE}:v0.0.417\n${line.repeat(50 * 1024)}`,
      );
    },
  },
  {
    name: 'invalid UTF-8 in a manifest',
    inputs: { files: 'values.yaml' },
    input: 'files',
    hint: 'values.yaml: is not UTF-8 text',
    setup: async (workspace) => {
      const file = join(workspace, 'manifests/values.yaml');
      await writeFile(file, Buffer.concat([await readFile(file), Buffer.from([0xc3, 0x28, 0x0a])]));
    },
  },
  {
    name: 'allow-downgrade yes-please',
    inputs: { 'allow-downgrade': 'yes-please' },
    input: 'allow-downgrade',
    hint: 'use true or false',
  },
  {
    name: 'dry-run yes-please',
    inputs: { 'dry-run': 'yes-please' },
    input: 'dry-run',
    hint: 'use true or false',
  },
  {
    name: 'fail-if-none nope',
    inputs: { 'fail-if-none': 'nope' },
    input: 'fail-if-none',
    hint: 'use true or false',
  },
  { name: 'format v0.0.x', inputs: { format: 'v0.0.x' }, input: 'format', hint: 'e.g. v0.0.{n}' },
  {
    name: 'path outside the workspace (absolute)',
    inputs: { path: '/etc' },
    input: 'path',
    hint: 'inside the workspace',
  },
  {
    name: 'path outside the workspace (..)',
    inputs: { path: '../..' },
    input: 'path',
    hint: 'inside the workspace',
  },
  { name: 'set without a value', inputs: { set: 'a.b[=x]=1' }, input: 'set', hint: 'a.b[=x]' },
  {
    name: 'allow-downgrade without a reason',
    inputs: { tag: 'v0.0.416', 'allow-downgrade': 'true' },
    input: 'downgrade-reason',
    hint: 'give it, or do not allow the downgrade',
  },
  {
    name: 'verify-image yes-please',
    inputs: { 'verify-image': 'yes-please' },
    input: 'verify-image',
    hint: 'use true or false',
  },
  {
    name: 'verify-image with region us-gov-west1',
    inputs: { image: 'dsva/cms-drupal', 'verify-image': 'true', region: 'us-gov-west1' },
    input: 'region',
    hint: 'us-gov-west-1',
  },
  {
    name: 'verify-image with region us-gov-wst-1',
    inputs: { image: 'dsva/cms-drupal', 'verify-image': 'true', region: 'us-gov-wst-1' },
    input: 'region',
    hint: 'us-gov-west-1',
  },
  {
    name: 'verify-image with a registry host of the wrong partition',
    inputs: {
      'verify-image': 'true',
      image: '008577686731.dkr.ecr.us-gov-west-1.amazonaws.com.cn/dsva/cms-drupal',
    },
    input: 'image',
    hint: '008577686731.dkr.ecr.us-gov-west-1.amazonaws.com',
  },
];

describe('dist/update-manifest refuses bad input and leaves the checkout as it was', () => {
  it.concurrent.each(
    updateManifestCases.map((testCase) => [caseName(testCase), testCase] as const),
  )(
    '%s',
    async (_name, testCase) => {
      node24Path();
      const workspace = await freshDir('update-manifest');
      await cp(VALUES_FIXTURE, join(workspace, 'manifests'), { recursive: true });
      await testCase.setup?.(workspace);
      const before = await snapshot(workspace);
      const awsSecret = secret('aws');
      const keyId = accessKeyId();
      const run = await runAction({
        action: 'actions/update-manifest',
        env: { GITHUB_WORKSPACE: workspace, ...(await awsEnv(keyId, awsSecret)) },
        inputs: { path: 'manifests', image: IMAGE, tag: 'v0.0.418', ...testCase.inputs },
      });
      expectOneLineFailure(run, 'update-manifest', testCase, [awsSecret]);
      expect(run.outputs).toEqual({});
      expect(await snapshot(workspace)).toEqual(before);
      expect(await ecrCalls(keyId)).toEqual([]);
    },
    30_000,
  );
});

/** The same cases through the CLI (`gitops-release manifest set-image`), where they map to flags. */
const CLI_FLAGS = new Set(['image', 'tag', 'digest', 'files', 'set', 'format']);
const cliCases = updateManifestCases.filter((testCase) =>
  Object.keys(testCase.inputs).every((name) => CLI_FLAGS.has(name)),
);

describe('dist/cli manifest set-image gives the same one-line errors', () => {
  it.concurrent.each(cliCases.map((testCase) => [caseName(testCase), testCase] as const))(
    '%s',
    async (_name, testCase) => {
      const workspace = await freshDir('cli');
      await cp(VALUES_FIXTURE, join(workspace, 'manifests'), { recursive: true });
      await testCase.setup?.(workspace);
      const before = await snapshot(workspace);
      const options = { image: IMAGE, tag: 'v0.0.418', ...testCase.inputs };
      const args = Object.entries(options).flatMap(([name, value]) => [`--${name}`, value]);
      const run = await new Promise<{ code: number; stdout: string; stderr: string }>(
        (resolvePromise) => {
          execFile(
            node24Path(),
            [
              join(ROOT, 'dist/cli/index.js'),
              'manifest',
              'set-image',
              '--path',
              'manifests',
              ...args,
            ],
            { cwd: workspace },
            (error, stdout, stderr) => {
              const code = error && typeof error.code === 'number' ? error.code : error ? -1 : 0;
              resolvePromise({ code, stdout, stderr });
            },
          );
        },
      );
      expect(run.code).toBe(1);
      expect(run.stdout).toBe('');
      const lines = run.stderr.split('\n').filter((line) => line !== '');
      expect(lines).toHaveLength(1);
      expect(lines[0]?.startsWith('gitops-release: ')).toBe(true);
      // The CLI names a flag it parses itself as `--format`, the rest as the input.
      expect(
        [`'${testCase.input}'`, `--${testCase.input}:`].some((name) => lines[0]?.includes(name)),
      ).toBe(true);
      expect(lines[0]).toContain(testCase.hint);
      expect(await snapshot(workspace)).toEqual(before);
    },
    30_000,
  );
});

/**
 * `gitops-release release --config`: a config file's context and Dockerfile stay inside the file's
 * directory, by the rule ecr-build-push applies to its workspace (the cases above and below).
 */
const releaseConfigCases: BadInputCase[] = [
  {
    name: 'context ../',
    inputs: { context: '../' },
    input: 'context',
    hint: "keep a config file's paths inside its directory",
  },
  {
    name: 'context /',
    inputs: { context: '/' },
    input: 'context',
    hint: "keep a config file's paths inside its directory",
  },
  {
    name: 'file /etc/passwd',
    inputs: { file: '/etc/passwd' },
    input: 'file',
    hint: "keep a config file's paths inside its directory",
  },
];

describe('dist/cli release refuses a config file whose context or file leaves its directory', () => {
  it.concurrent.each(releaseConfigCases.map((testCase) => [caseName(testCase), testCase] as const))(
    '%s',
    async (_name, testCase) => {
      const workspace = await freshDir('cli-release');
      await writeFile(join(workspace, 'Dockerfile'), 'FROM scratch\n');
      const config = {
        app: 'cms',
        registry: '008577686731',
        region: 'us-gov-west-1',
        repository: 'dsva/cms-drupal',
        manifests: 'octo-org/manifests',
        ...testCase.inputs,
      };
      await writeFile(join(workspace, 'release.yaml'), JSON.stringify(config));
      const before = await snapshot(workspace);
      const token = secret('ghs_');
      const run = await new Promise<{ code: number; stdout: string; stderr: string }>(
        (resolvePromise) => {
          execFile(
            node24Path(),
            [join(ROOT, 'dist/cli/index.js'), 'release', '--config', 'release.yaml', '--yes'],
            {
              cwd: workspace,
              // A run that got past the settings would fail to reach GitHub, AWS or docker.
              env: {
                PATH: process.env.PATH ?? '',
                GH_TOKEN: token,
                GITHUB_API_URL: 'http://127.0.0.1:9',
                AWS_ENDPOINT_URL_ECR: 'http://127.0.0.1:9',
                DOCKER_HOST: `unix://${join(workspace, 'no-docker.sock')}`,
              },
            },
            (error, stdout, stderr) => {
              const code = error && typeof error.code === 'number' ? error.code : error ? -1 : 0;
              resolvePromise({ code, stdout, stderr });
            },
          );
        },
      );
      expect(run.code).toBe(1);
      expect(run.stdout).toBe('');
      const lines = run.stderr.split('\n').filter((line) => line !== '');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(`gitops-release: --${testCase.input}: `);
      expect(lines[0]).toContain("release.yaml's directory");
      expect(lines[0]).toContain(testCase.hint);
      expect(run.stderr).not.toContain(token);
      expect(await snapshot(workspace)).toEqual(before);
    },
    30_000,
  );
});

// --- open-manifest-pr -------------------------------------------------------------------------

const openManifestPrCases: BadInputCase[] = [
  {
    name: 'empty token',
    inputs: { token: '' },
    input: 'token',
    hint: 'pass a token for the manifests repository',
  },
  {
    name: 'token and token-parameter both',
    inputs: { 'token-parameter': '/devops/VA_VSP_BOT_GITHUB_TOKEN' },
    input: 'token-parameter',
    hint: 'pass one of them',
  },
  {
    name: 'token-parameter: a path without a leading slash',
    inputs: { token: '', 'token-parameter': 'devops/VA_VSP_BOT_GITHUB_TOKEN' },
    input: 'token-parameter',
    hint: 'write /devops/VA_VSP_BOT_GITHUB_TOKEN',
  },
  {
    name: 'files: bad JSON',
    inputs: { files: '["values.yaml"' },
    input: 'files',
    hint: "pass update-manifest's changed-files output as it is",
  },
  {
    name: 'files: JSON of numbers',
    inputs: { files: '[1, 2]' },
    input: 'files',
    hint: 'a JSON array of strings',
  },
  {
    name: 'files: an absolute path',
    inputs: { files: '/etc/passwd' },
    input: 'files',
    hint: 'give paths relative to it',
  },
  {
    name: 'files: a path out of the checkout',
    inputs: { files: '["../../etc/passwd"]' },
    input: 'files',
    hint: 'give paths relative to it',
  },
  {
    name: 'files: a symlink to /etc/passwd',
    inputs: { files: '["values.yaml"]' },
    input: 'files',
    hint: '/etc/passwd',
    setup: async (checkout) => {
      await rm(join(checkout, 'values.yaml'));
      await symlink('/etc/passwd', join(checkout, 'values.yaml'));
    },
  },
  {
    name: 'files: through a directory symlink to /etc',
    inputs: { files: 'etc/passwd' },
    input: 'files',
    hint: 'outside the checkout',
    setup: async (checkout) => symlink('/etc', join(checkout, 'etc')),
  },
  {
    name: 'unknown mode',
    inputs: { mode: 'force-push' },
    input: 'mode',
    hint: 'one of pull-request, direct',
  },
  {
    name: 'repository without a name',
    inputs: { repository: 'owner' },
    input: 'repository',
    hint: 'use owner/name',
  },
  {
    name: 'repository a/b/c',
    inputs: { repository: 'a/b/c' },
    input: 'repository',
    hint: 'use owner/name',
  },
  {
    name: 'release-notes-from a/b/c',
    inputs: { 'release-notes-from': 'a/b/c' },
    input: 'release-notes-from',
    hint: 'use owner/name',
  },
  {
    name: 'version v0.0.x',
    inputs: { version: 'v0.0.x' },
    input: 'version',
    hint: "pass compute-version's version output",
  },
  {
    name: 'version v0.0.-1',
    inputs: { version: 'v0.0.-1' },
    input: 'version',
    hint: "pass compute-version's version output",
  },
  {
    name: 'version v0.0.1--2',
    inputs: { version: 'v0.0.1--2' },
    input: 'version',
    hint: "pass compute-version's version output",
  },
  {
    name: 'version of 129 characters',
    inputs: { version: LONG_TAG },
    input: 'version',
    hint: "pass compute-version's version output",
  },
  {
    name: 'version with a space',
    inputs: { version: 'v0.0.5 beta' },
    input: 'version',
    hint: "pass compute-version's version output",
  },
  {
    name: 'previous-version v0.0.x',
    inputs: { 'previous-version': 'v0.0.x' },
    input: 'previous-version',
    hint: "update-manifest's previous-version output",
  },
  {
    name: 'release-tag with a space',
    inputs: { 'release-tag': 'v0.0.5 beta' },
    input: 'release-tag',
    hint: 'a git tag name',
  },
  {
    name: 'draft yes-please',
    inputs: { draft: 'yes-please' },
    input: 'draft',
    hint: 'use true or false',
  },
  {
    name: 'supersede maybe',
    inputs: { supersede: 'maybe' },
    input: 'supersede',
    hint: 'use true or false',
  },
  {
    name: 'auto-merge fast-forward',
    inputs: { 'auto-merge': 'fast-forward' },
    input: 'auto-merge',
    hint: 'one of off, merge, squash, rebase',
  },
  {
    name: 'digest sha256:short',
    inputs: { digest: 'sha256:abc' },
    input: 'digest',
    hint: 'sha256: and 64 hex digits',
  },
  {
    name: 'app with a space',
    inputs: { app: 'vsp cms' },
    input: 'app',
    hint: "letters, digits, '.', '_' or '-'",
  },
  {
    name: 'branch with ..',
    inputs: { branch: 'release/../main' },
    input: 'branch',
    hint: 'a valid branch name',
  },
  { name: 'base with ..', inputs: { base: 'main..x' }, input: 'base', hint: 'a valid branch name' },
  { name: 'format v0.0', inputs: { format: 'v0.0' }, input: 'format', hint: 'e.g. v0.0.{n}' },
];

describe('dist/open-manifest-pr refuses bad input: no branch, no pull request, no release', () => {
  it.concurrent.each(
    openManifestPrCases.map((testCase) => [caseName(testCase), testCase] as const),
  )(
    '%s',
    async (_name, testCase) => {
      const { server, app } = await gitHubParts();
      const manifests = await manifestsRepo(server);
      const workspace = await freshDir('open-manifest-pr');
      const checkout = join(workspace, 'manifests');
      execFileSync('git', ['clone', '-q', manifests.gitDir, checkout]);
      await writeFile(
        join(checkout, 'values.yaml'),
        (await readFile(join(checkout, 'values.yaml'), 'utf8')).replace('v0.0.417', 'v0.0.418'),
      );
      await testCase.setup?.(checkout);
      const before = await snapshot(workspace);
      const [manifestRefs, appRefs, pulls] = [refs(manifests), refs(app), await manifests.pulls()];
      const token = secret('ghs_');
      const appToken = secret('ghs_');
      const run = await runAction({
        action: 'actions/open-manifest-pr',
        env: {
          GITHUB_API_URL: server.url,
          GITHUB_WORKSPACE: workspace,
          GITHUB_REPOSITORY: app.fullName,
        },
        inputs: {
          token,
          'app-token': appToken,
          repository: manifests.fullName,
          path: 'manifests',
          files: '["values.yaml"]',
          app: 'vsp-cms',
          version: 'v0.0.418',
          'previous-version': 'v0.0.417',
          image: IMAGE,
          'release-notes-from': app.fullName,
          'release-tag': 'v0.0.418',
          ...testCase.inputs,
        },
      });
      expectOneLineFailure(run, 'open-manifest-pr', testCase, [token, appToken]);
      expect(run.outputs).toEqual({});
      expect(await snapshot(workspace)).toEqual(before);
      expect(refs(manifests)).toBe(manifestRefs);
      expect(refs(app)).toBe(appRefs);
      expect(await manifests.pulls()).toEqual(pulls);
    },
    30_000,
  );
});

// --- ecr-build-push ---------------------------------------------------------------------------

const ecrBuildPushCases: BadInputCase[] = [
  { name: 'tags with a space', inputs: { tags: 'v0.0.5 beta' }, input: 'tags', hint: '128' },
  {
    name: 'tags: one of 129 characters',
    inputs: { tags: `v0.0.5,${LONG_TAG}` },
    input: 'tags',
    hint: '128',
  },
  {
    name: 'tags: a carriage return inside',
    inputs: { tags: 'v0.0.5\rlatest' },
    input: 'tags',
    hint: '128',
  },
  {
    name: 'tags empty',
    inputs: { tags: '' },
    input: 'tags',
    hint: 'give at least the release tag',
  },
  {
    name: 'repository in upper case',
    inputs: { repository: 'Team/CMS' },
    input: 'repository',
    hint: 'lower',
  },
  {
    name: 'repository: an ECR URI with upper case',
    inputs: { repository: '008577686731.dkr.ecr.us-gov-west-1.amazonaws.com/Team/cms' },
    input: 'repository',
    hint: 'host in registry',
  },
  {
    name: 'repository:tag',
    inputs: { repository: 'team/cms:v0.0.5' },
    input: 'repository',
    hint: 'lower',
  },
  {
    name: 'repository@sha256:short',
    inputs: { repository: 'team/cms@sha256:abc' },
    input: 'repository',
    hint: 'lower',
  },
  {
    name: 'registry host of the wrong partition',
    inputs: { registry: '008577686731.dkr.ecr.us-gov-west-1.amazonaws.com.cn' },
    input: 'registry',
    hint: '<account>.dkr.ecr.<region>.amazonaws.com',
  },
  {
    name: 'registry: an 11-digit account',
    inputs: { registry: '00857768673' },
    input: 'registry',
    hint: '12-digit account id',
  },
  {
    name: 'region us-gov-west1',
    inputs: { region: 'us-gov-west1' },
    input: 'region',
    hint: 'us-gov-west-1',
  },
  {
    name: 'region us-gov-wst-1',
    inputs: { region: 'us-gov-wst-1' },
    input: 'region',
    hint: 'us-gov-west-1',
  },
  {
    name: "region not the registry host's",
    inputs: { registry: '008577686731.dkr.ecr.us-gov-west-1.amazonaws.com', region: 'us-east-1' },
    input: 'region',
    hint: 'leave region empty or use us-gov-west-1',
  },
  {
    name: 'promote-from @sha256:short',
    inputs: { 'promote-from': '@sha256:abc' },
    input: 'promote-from',
    hint: '128',
  },
  {
    name: 'promote-from with build inputs',
    inputs: { 'promote-from': 'v0.0.4', 'build-args': 'A=1' },
    input: 'promote-from',
    hint: 'drop those inputs or promote-from',
  },
  {
    name: 'if-tag-exists sometimes',
    inputs: { 'if-tag-exists': 'sometimes' },
    input: 'if-tag-exists',
    hint: 'skip-same-digest, fail, overwrite',
  },
  {
    name: 'push yes-please',
    inputs: { push: 'yes-please' },
    input: 'push',
    hint: 'use true or false',
  },
  {
    name: 'no-cache maybe',
    inputs: { 'no-cache': 'maybe' },
    input: 'no-cache',
    hint: 'use true or false',
  },
  {
    name: 'context ../',
    inputs: { context: '../' },
    input: 'context',
    hint: 'inside the repository checkout',
  },
  {
    name: 'context /etc',
    inputs: { context: '/etc' },
    input: 'context',
    hint: 'inside the repository checkout',
  },
  {
    name: 'file /etc/passwd',
    inputs: { file: '/etc/passwd' },
    input: 'file',
    hint: 'inside the repository checkout',
  },
  {
    name: 'Dockerfile a symlink to /etc/passwd',
    inputs: {},
    input: 'file',
    hint: 'inside the repository checkout',
    setup: async (workspace) => {
      await rm(join(workspace, 'Dockerfile'));
      await symlink('/etc/passwd', join(workspace, 'Dockerfile'));
    },
  },
  {
    name: 'build-args not KEY=VALUE',
    inputs: { 'build-args': 'not valid' },
    input: 'build-args',
    hint: 'NODE_ENV=production',
  },
  {
    name: 'labels not key=value',
    inputs: { labels: '=cms' },
    input: 'labels',
    hint: 'com.example.team=cms',
  },
  {
    name: 'secret-envs naming an unset variable',
    inputs: { 'secret-envs': 'npm=GITOPS_UNSET_VARIABLE' },
    input: 'secret-envs',
    hint: "set it in the step's env",
  },
  {
    name: 'platform: two of them',
    inputs: { platform: 'linux/amd64,linux/arm64' },
    input: 'platform',
    hint: 'linux/arm64',
  },
  {
    name: 'revision short',
    inputs: { revision: 'abc1234' },
    input: 'revision',
    hint: 'use the 40 hex characters',
  },
  {
    name: 'network with a space',
    inputs: { network: 'my net' },
    input: 'network',
    hint: 'use none, host, default or a network name',
  },
];

describe('dist/ecr-build-push refuses bad input before any call to ECR or docker', () => {
  it.concurrent.each(ecrBuildPushCases.map((testCase) => [caseName(testCase), testCase] as const))(
    '%s',
    async (_name, testCase) => {
      node24Path();
      const workspace = await freshDir('ecr-build-push');
      await writeFile(join(workspace, 'Dockerfile'), 'FROM scratch\nCOPY index.html /\n');
      await writeFile(join(workspace, 'index.html'), '<h1>cms</h1>\n');
      await testCase.setup?.(workspace);
      const before = await snapshot(workspace);
      const awsSecret = secret('aws');
      const keyId = accessKeyId();
      const run = await runAction({
        action: 'actions/ecr-build-push',
        env: {
          ...(await awsEnv(keyId, awsSecret)),
          AWS_REGION: 'us-gov-west-1',
          GITHUB_WORKSPACE: workspace,
          // A build that got this far would fail to reach docker rather than build anything.
          DOCKER_HOST: `unix://${join(workspace, 'no-docker.sock')}`,
        },
        inputs: {
          registry: '008577686731',
          repository: 'team/cms',
          tags: 'v0.0.5',
          ...testCase.inputs,
        },
      });
      expectOneLineFailure(run, 'ecr-build-push', testCase, [awsSecret]);
      expect(await snapshot(workspace)).toEqual(before);
      expect(await ecrCalls(keyId)).toEqual([]);
    },
    30_000,
  );
});

// --- await-deployment -------------------------------------------------------------------------

let argoStarted: Promise<{ argo: ArgoCdTestServer; manifests: TestRepo }> | undefined;
const argoParts = (): Promise<{ argo: ArgoCdTestServer; manifests: TestRepo }> =>
  (argoStarted ??= (async () => {
    const { server } = await gitHubParts();
    const argo = await startArgoCdServer();
    const manifests = await server.createRepo('octo-org/argo-manifests');
    await manifests.commit('cms', { 'apps/cms/values.yaml': `image: ${IMAGE}:v0.0.1\n` });
    await argo.addApplication({
      name: 'vsp-cms-dev',
      gitDir: manifests.gitDir,
      repoURL: `${server.url}/${manifests.fullName}.git`,
      path: 'apps/cms',
    });
    return { argo, manifests };
  })());

const awaitDeploymentCases: BadInputCase[] = [
  {
    name: 'no server',
    inputs: { 'argocd-server': '' },
    input: 'argocd-server',
    hint: 'https://argocd.example.org',
  },
  {
    name: 'server not a URL',
    inputs: { 'argocd-server': 'argocd.example.org' },
    input: 'argocd-server',
    hint: 'is not a URL',
  },
  {
    name: 'server not http(s)',
    inputs: { 'argocd-server': 'ftp://argocd.example.org' },
    input: 'argocd-server',
    hint: 'not an http(s) URL',
  },
  {
    name: 'server URL carrying credentials',
    inputs: { 'argocd-server': 'https://admin:hunter2@argocd.example.org' },
    input: 'argocd-server',
    hint: 'pass the token as argocd-token',
  },
  {
    name: 'empty token',
    inputs: { 'argocd-token': '' },
    input: 'argocd-token',
    hint: 'secrets.ARGOCD_TOKEN',
  },
  {
    name: 'no application',
    inputs: { 'argocd-application': '' },
    input: 'argocd-application',
    hint: 'e.g. vsp-cms-dev',
  },
  {
    name: 'application name with a slash',
    inputs: { 'argocd-application': 'argocd/../vsp-cms' },
    input: 'argocd-application',
    hint: "lower-case letters, digits, '-' and '.'",
  },
  {
    name: 'unknown application',
    inputs: { 'argocd-application': 'vsp-cms-typo' },
    input: 'argocd-application',
    hint: 'no application named vsp-cms-typo',
  },
  {
    name: 'a token Argo CD does not know',
    inputs: { 'argocd-token': 'argocd-wrong-token' },
    input: 'argocd-token',
    hint: 'not valid',
  },
  {
    name: 'revision not a SHA',
    inputs: { revision: 'main' },
    input: 'revision',
    hint: '7 to 40 hexadecimal',
  },
  {
    name: 'timeout zero',
    inputs: { timeout: '0' },
    input: 'timeout',
    hint: 'positive whole number',
  },
  {
    name: 'environment without version',
    inputs: { version: '' },
    input: 'version',
    hint: "compute-version's version",
  },
];

describe('dist/await-deployment refuses bad input before GitHub records a deployment', () => {
  it.concurrent.each(
    awaitDeploymentCases.map((testCase) => [caseName(testCase), testCase] as const),
  )(
    '%s',
    async (_name, testCase) => {
      const { server, app } = await gitHubParts();
      const { argo, manifests } = await argoParts();
      const appToken = secret('ghs_');
      const given = { ...testCase.inputs };
      // The valid token is the server's; a case's own token is a secret it must not print.
      const token = given['argocd-token'] ?? argo.token;
      const run = await runAction({
        action: 'actions/await-deployment',
        env: { GITHUB_API_URL: server.url, GITHUB_REPOSITORY: app.fullName },
        inputs: {
          'argocd-server': argo.url,
          'argocd-application': 'vsp-cms-dev',
          'argocd-token': token,
          revision: await manifests.head(),
          version: 'v0.0.418',
          environment: 'dev',
          'app-repository': app.fullName,
          'app-token': appToken,
          ref: await app.head(),
          timeout: '5',
          'poll-interval': '1',
          ...given,
        },
      });
      expectOneLineFailure(
        run,
        'await-deployment',
        testCase,
        [appToken, token].filter((value) => value.trim() !== ''),
      );
      expect(deploymentsOf(app)).toEqual([]);
    },
    30_000,
  );
});

it('has at least 40 cases, spread over all four actions', () => {
  const counts = [
    computeVersionCases,
    updateManifestCases,
    openManifestPrCases,
    ecrBuildPushCases,
  ].map((cases) => cases.length);
  expect(counts.every((count) => count >= 8)).toBe(true);
  expect(counts.reduce((sum, count) => sum + count, 0)).toBeGreaterThanOrEqual(40);
});

describe('a trailing carriage return (a workflow saved with CRLF) is trimmed, in every input', () => {
  it('update-manifest writes the tag without it', async () => {
    node24Path();
    const workspace = await freshDir('crlf');
    await cp(VALUES_FIXTURE, join(workspace, 'manifests'), { recursive: true });
    const run = await runAction({
      action: 'actions/update-manifest',
      env: { GITHUB_WORKSPACE: workspace },
      inputs: {
        path: 'manifests\r',
        image: `${IMAGE}\r`,
        tag: 'v0.0.418\r',
        files: 'values.yaml\r\n',
        'dry-run': 'false\r',
      },
    });
    expect(run.stdout).not.toContain('::error::');
    expect(run.exitCode).toBe(0);
    const values = await readFile(join(workspace, 'manifests/values.yaml'), 'utf8');
    expect(values).toContain(`image: ${IMAGE}:v0.0.418\n`);
    expect(values).not.toContain('\r');
  }, 30_000);

  it('compute-version reads numbers, booleans and versions without it', async () => {
    const { server, app } = await gitHubParts();
    const before = refs(app);
    const run = await runAction({
      action: 'actions/compute-version',
      github: { token: secret('ghs_'), repository: `${app.fullName}\r`, sha: await app.head() },
      env: { GITHUB_API_URL: server.url },
      inputs: { 'start-at': '5\r', reserve: 'false\r', 'skip-if-released': 'false\r' },
    });
    expect(run.stdout).not.toContain('::error::');
    expect(run.exitCode).toBe(0);
    expect(run.outputs.version).toMatch(/^v0\.0\.[0-9]+$/);
    expect(refs(app)).toBe(before);
  }, 30_000);
});
