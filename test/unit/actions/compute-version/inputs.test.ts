import { describe, expect, it } from '@jest/globals';
import { getInputs } from '../../../../actions/compute-version/src/inputs.js';

const DEFAULTS: Record<string, string> = {
  token: 'ghs_example',
  repository: 'octo-org/cms',
  sha: 'a'.repeat(40),
  format: 'v0.0.{n}',
  'git-tag-prefix': '',
  'start-at': '1',
  'hotfix-of': '',
  reserve: 'true',
  'skip-if-released': 'true',
  'require-checks': '',
};

const inputs = (overrides: Record<string, string> = {}) =>
  getInputs((name) => ({ ...DEFAULTS, ...overrides })[name] ?? '');

describe('compute-version inputs', () => {
  it('parses the defaults', () => {
    const parsed = inputs({ 'require-checks': 'build\ntest' });
    expect(parsed.repository).toEqual({ owner: 'octo-org', repo: 'cms' });
    expect(parsed.format.template).toBe('v0.0.{n}');
    expect(parsed.startAt).toBe(1);
    expect(parsed.reserve).toBe(true);
    expect(parsed.requireChecks).toEqual(['build', 'test']);
  });

  it.each([
    [{ token: ' ' }, /^input 'token': is empty/],
    [{ format: 'v0.0.' }, /^input 'format': "v0.0." must contain \{n\} exactly once/],
    [{ format: '{n}.{n}' }, /^input 'format': .*found 2/],
    [{ 'git-tag-prefix': 'a..b/' }, /^input 'git-tag-prefix'/],
    [{ repository: 'not a repo' }, /^input 'repository'/],
    [{ sha: 'main' }, /^input 'sha'/],
    [{ 'start-at': '0' }, /^input 'start-at'/],
    [{ 'start-at': 'one' }, /^input 'start-at'/],
    [{ reserve: 'sure' }, /^input 'reserve'/],
  ])('refuses %j with a line naming the input', (overrides, message) => {
    expect(() => inputs(overrides)).toThrow(message);
  });
});

describe('compute-version ECR source inputs', () => {
  const ecrInputs = (overrides: Record<string, string>, env: NodeJS.ProcessEnv = {}) =>
    getInputs(
      (name) =>
        ({ ...DEFAULTS, sources: 'git,ecr', 'ecr-repository': 'dsva/cms-drupal', ...overrides })[
          name
        ] ?? '',
      env,
    );

  it('takes account and region from a GovCloud registry host', () => {
    expect(ecrInputs({ registry: '008577686731.dkr.ecr.us-gov-west-1.amazonaws.com' }).ecr).toEqual(
      {
        repository: 'dsva/cms-drupal',
        region: 'us-gov-west-1',
        registryId: '008577686731',
      },
    );
  });

  it('takes the region from AWS_REGION with an account id, and needs no registry', () => {
    expect(ecrInputs({ registry: '008577686731' }, { AWS_REGION: 'us-east-1' }).ecr).toMatchObject({
      region: 'us-east-1',
      registryId: '008577686731',
    });
    expect(ecrInputs({}, { AWS_DEFAULT_REGION: 'eu-west-1' }).ecr?.registryId).toBeUndefined();
    expect(inputs().ecr).toBeUndefined();
  });

  it.each([
    [{ sources: 'git,s3' }, {}, /^input 'sources': "s3" is not a source/],
    [{ sources: 'ecr' }, {}, /^input 'sources': must include git/],
    [{ 'ecr-repository': '' }, { AWS_REGION: 'us-east-1' }, /^input 'ecr-repository': is required/],
    [{ 'ecr-repository': 'Bad_Name' }, { AWS_REGION: 'us-east-1' }, /^input 'ecr-repository'/],
    [
      { registry: '1234' },
      { AWS_REGION: 'us-east-1' },
      /^input 'registry': "1234" is not an AWS account id/,
    ],
    [
      { registry: 'ghcr.io' },
      { AWS_REGION: 'us-east-1' },
      /^input 'registry': "ghcr.io" is neither/,
    ],
    [{}, {}, /^input 'region': is required/],
    [{ region: 'mars-1' }, {}, /^input 'region'/],
    [
      { registry: '008577686731.dkr.ecr.us-gov-west-1.amazonaws.com', region: 'us-east-1' },
      {},
      /^input 'region': us-east-1 differs from the registry host's region us-gov-west-1/,
    ],
  ])('refuses %j (env %j)', (overrides, env, message) => {
    expect(() => ecrInputs(overrides, env)).toThrow(message);
  });
});

describe('compute-version newest-green inputs', () => {
  it('is off by default, and takes the branch and look-back when on', () => {
    expect(inputs({ 'require-checks': 'build' }).newestGreen).toBeUndefined();
    expect(
      inputs({ 'newest-green': 'true', 'require-checks': 'build', branch: ' main ' }).newestGreen,
    ).toEqual({ branch: 'main', lookBack: 750 });
    expect(
      inputs({ 'newest-green': 'true', 'require-checks': 'build', 'look-back': '250' }).newestGreen,
    ).toEqual({ branch: '', lookBack: 250 });
  });

  it.each([
    [{ 'newest-green': 'true' }, /^input 'require-checks': is empty but newest-green is true/],
    [
      { 'newest-green': 'true', 'require-checks': 'build', 'hotfix-of': 'v0.0.1' },
      /^input 'hotfix-of': cannot go with newest-green/,
    ],
    [{ 'newest-green': 'yes please' }, /^input 'newest-green'/],
    [{ 'look-back': '0' }, /^input 'look-back'/],
    [{ 'look-back': '2001' }, /^input 'look-back': 2001 is above 2000/],
  ])('refuses %j with a line naming the input', (overrides, message) => {
    expect(() => inputs(overrides)).toThrow(message);
  });
});
