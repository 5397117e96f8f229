import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, test } from '@jest/globals';
import { getInputs } from '../../../../actions/ecr-build-push/src/inputs.js';
import { InputError } from '../../../../packages/kit/index.js';

const root = realpathSync(mkdtempSync(join(tmpdir(), 'ecr-inputs-')));
const workspace = join(root, 'workspace');
mkdirSync(join(workspace, 'app'), { recursive: true });
writeFileSync(join(workspace, 'Dockerfile'), 'FROM scratch\n');
writeFileSync(join(workspace, 'app', 'Dockerfile.prod'), 'FROM scratch\n');
mkdirSync(join(root, 'outside'));
writeFileSync(join(root, 'outside', 'Dockerfile'), 'FROM scratch\n');
symlinkSync(join(root, 'outside'), join(workspace, 'escape'));

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

const env = { GITHUB_WORKSPACE: workspace, AWS_REGION: 'us-gov-west-1', NPM_TOKEN: 'x' };
const defaults: Record<string, string> = {
  repository: 'team/cms',
  tags: 'v0.0.418',
  push: 'true',
  pull: 'false',
  'no-cache': 'false',
  'if-tag-exists': 'skip-same-digest',
};
const inputs = (given: Record<string, string>, environment: Record<string, string> = env) =>
  getInputs((name) => ({ ...defaults, ...given })[name] ?? '', environment);

function inputError(given: Record<string, string>, environment?: Record<string, string>) {
  try {
    inputs(given, environment);
  } catch (error: unknown) {
    if (error instanceof InputError) return error;
    throw error;
  }
  throw new Error('expected an InputError');
}

describe('getInputs', () => {
  it('applies the defaults', () => {
    expect(inputs({})).toEqual({
      region: 'us-gov-west-1',
      accountId: undefined,
      registryHost: undefined,
      fips: false,
      repository: 'team/cms',
      tags: ['v0.0.418'],
      ifTagExists: 'skip-same-digest',
      promoteFrom: undefined,
      build: {
        context: workspace,
        file: join(workspace, 'Dockerfile'),
        buildArgs: [],
        labels: {},
        target: undefined,
        platform: undefined,
        network: undefined,
        revision: undefined,
        cacheFrom: [],
        cacheTo: [],
        pull: false,
        noCache: false,
        secretEnvs: [],
        push: true,
      },
    });
  });

  it('reads every build input', () => {
    const parsed = inputs({
      registry: '008577686731',
      tags: 'v0.0.418, latest\nv0.0.418',
      context: 'app',
      file: 'app/Dockerfile.prod',
      'build-args': 'A=1\nB=x,y\n',
      labels: 'com.example.team=cms\nempty=',
      target: 'runtime',
      platform: 'linux/arm64',
      network: 'none',
      'cache-from': 'type=registry,ref=h/app:cache\nh/app:v1',
      'cache-to': 'type=inline',
      pull: 'true',
      'no-cache': 'true',
      'secret-envs': 'npm=NPM_TOKEN',
      push: 'false',
      'if-tag-exists': 'overwrite',
    });
    expect(parsed).toMatchObject({
      accountId: '008577686731',
      registryHost: '008577686731.dkr.ecr.us-gov-west-1.amazonaws.com',
      tags: ['v0.0.418', 'latest'],
      ifTagExists: 'overwrite',
      build: {
        context: join(workspace, 'app'),
        file: join(workspace, 'app', 'Dockerfile.prod'),
        buildArgs: ['A=1', 'B=x,y'],
        labels: { 'com.example.team': 'cms', empty: '' },
        target: 'runtime',
        platform: 'linux/arm64',
        network: 'none',
        cacheFrom: ['type=registry,ref=h/app:cache', 'h/app:v1'],
        cacheTo: ['type=inline'],
        pull: true,
        noCache: true,
        secretEnvs: [{ id: 'npm', env: 'NPM_TOKEN' }],
        push: false,
      },
    });
  });

  test.each([
    [{ registry: '123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn' }, {}, 'cn-north-1', false],
    [
      { registry: '008577686731.dkr.ecr-fips.us-gov-east-1.amazonaws.com' },
      env,
      'us-gov-east-1',
      true,
    ],
    [
      { registry: 'https://008577686731.dkr.ecr.us-gov-west-1.amazonaws.com/' },
      env,
      'us-gov-west-1',
      false,
    ],
    [{ region: 'eu-west-1' }, env, 'eu-west-1', false],
    [{}, { GITHUB_WORKSPACE: workspace, AWS_DEFAULT_REGION: 'us-east-2' }, 'us-east-2', false],
  ])('takes the region from %j with %j', (given, environment, region, fips) => {
    const parsed = inputs(given, { GITHUB_WORKSPACE: workspace, ...environment });
    expect(parsed.region).toBe(region);
    expect(parsed.fips).toBe(fips);
  });

  it('promotes without build inputs, checked against the released commit', () => {
    const sha = 'ab'.repeat(20);
    expect(inputs({ 'promote-from': 'rc-57', tags: 'v0.0.418', revision: sha })).toMatchObject({
      promoteFrom: 'rc-57',
      promotion: { revision: sha, otherRevisionReason: undefined },
      build: undefined,
    });
    expect(
      inputs({
        'promote-from': 'rc-57',
        tags: 'v0.0.418',
        revision: sha,
        'allow-downgrade': 'true',
        'downgrade-reason': 'roll forward to the tested build',
      }).promotion,
    ).toEqual({ revision: sha, otherRevisionReason: 'roll forward to the tested build' });
    expect(inputError({ 'promote-from': 'rc-57', tags: 'v0.0.418' }).message).toBe(
      "input 'revision': is required to promote: give the commit being released (40 hex characters), so the source image can be checked against it",
    );
    expect(
      inputError({ 'promote-from': 'rc-57', revision: sha, 'allow-downgrade': 'true' }).message,
    ).toMatch(/^input 'downgrade-reason': allow-downgrade needs a reason/);
  });

  it('keeps the provenance record in the app repository with app-token', () => {
    expect(inputs({ tags: 'v1' }).provenance).toBeUndefined();
    expect(
      inputs(
        { tags: 'v1', 'app-token': 'ghs_x', 'git-tag-prefix': 'cms/' },
        { ...env, GITHUB_REPOSITORY: 'octo-org/cms' },
      ).provenance,
    ).toEqual({
      token: 'ghs_x',
      appRepository: { owner: 'octo-org', repo: 'cms' },
      gitTagPrefix: 'cms/',
    });
    expect(inputError({ tags: 'v1', 'app-token': 'ghs_x' }).message).toMatch(
      /^input 'app-repository': is required with app-token/,
    );
  });

  test.each<[string, Record<string, string>, string]>([
    [
      'unknown region',
      { region: 'us-gov-north-1' },
      'input \'region\': "us-gov-north-1" is not a known AWS region',
    ],
    [
      'malformed region',
      { region: 'Virginia' },
      'input \'region\': "Virginia" is not an AWS region code',
    ],
    [
      'region vs host',
      { registry: '008577686731.dkr.ecr.us-gov-west-1.amazonaws.com', region: 'us-east-1' },
      'input \'region\': "us-east-1" does not match',
    ],
    [
      'registry not ECR',
      { registry: 'ghcr.io' },
      'input \'registry\': "ghcr.io" is neither an AWS account id nor an ECR registry host',
    ],
    [
      'registry partition mismatch',
      { registry: '008577686731.dkr.ecr.cn-north-1.amazonaws.com' },
      "input 'registry'",
    ],
    [
      'repository upper case',
      { repository: 'Team/CMS' },
      '"Team/CMS" is not a valid ECR repository name',
    ],
    [
      'repository with host',
      { repository: '008577686731.dkr.ecr.us-gov-west-1.amazonaws.com/cms' },
      'names a registry',
    ],
    ['repository empty', { repository: '' }, "input 'repository': is required"],
    ['empty tags', { tags: ' , \n' }, "input 'tags': is empty"],
    [
      'bad tag',
      { tags: 'v0.0.418, -latest' },
      'input \'tags\': "-latest" is not a valid image tag',
    ],
    ['tag too long', { tags: 'a'.repeat(129) }, "input 'tags'"],
    [
      'if-tag-exists',
      { 'if-tag-exists': 'replace' },
      'input \'if-tag-exists\': "replace" is not one of skip-same-digest, fail, overwrite',
    ],
    [
      'missing Dockerfile',
      { file: 'nope/Dockerfile' },
      "input 'file': no Dockerfile at nope/Dockerfile",
    ],
    [
      'context without Dockerfile',
      { context: 'app' },
      "input 'file': no Dockerfile at app/Dockerfile",
    ],
    ['context missing', { context: 'missing' }, 'input \'context\': "missing" is not a directory'],
    ['context outside', { context: '..' }, 'input \'context\': ".." is outside the workspace'],
    [
      'context through a symlink',
      { context: 'escape' },
      'input \'context\': "escape" is outside the workspace',
    ],
    [
      'file outside',
      { file: '../outside/Dockerfile' },
      'input \'file\': "../outside/Dockerfile" is outside the workspace',
    ],
    [
      'promote with build inputs',
      { 'promote-from': 'rc-1', 'build-args': 'A=1', target: 'x' },
      "input 'promote-from': cannot be combined with build-args, target",
    ],
    [
      'promote with push false',
      { 'promote-from': 'rc-1', push: 'false' },
      "input 'promote-from': cannot be combined with push",
    ],
    [
      'promote to itself',
      { 'promote-from': 'v0.0.418' },
      'input \'promote-from\': "v0.0.418" is also in tags',
    ],
    [
      'bad build arg',
      { 'build-args': 'NOEQUALS' },
      'input \'build-args\': "NOEQUALS" is not KEY=VALUE',
    ],
    [
      'secret env unset',
      { 'secret-envs': 'npm=UNSET_VARIABLE' },
      "input 'secret-envs': environment variable UNSET_VARIABLE",
    ],
    ['two platforms', { platform: 'linux/amd64,linux/arm64' }, "input 'platform'"],
    ['bad network', { network: 'none; rm -rf /' }, "input 'network'"],
    ['short revision', { revision: 'abc1234' }, "input 'revision'"],
    ['bad boolean', { push: 'maybe' }, "input 'push'"],
  ])('%s', (_name, given, message) => {
    const error = inputError(given);
    expect(error.message).toContain(message);
    expect(error.message).not.toContain('\n');
  });

  it('needs a region from somewhere', () => {
    expect(inputError({}, { GITHUB_WORKSPACE: workspace }).message).toContain(
      "input 'region': is empty and neither AWS_REGION nor AWS_DEFAULT_REGION is set",
    );
  });
});

describe('revision', () => {
  it('takes the full SHA of the commit built, lower-cased', () => {
    expect(inputs({ revision: 'ABCDEF0123456789ABCDEF0123456789ABCDEF01' }).build?.revision).toBe(
      'abcdef0123456789abcdef0123456789abcdef01',
    );
  });
});
