import { describe, expect, it } from '@jest/globals';
import { getInputs, parseFilesInput } from '../../../../actions/open-manifest-pr/src/inputs.js';

const DEFAULTS: Record<string, string> = {
  token: 'ghs_manifests',
  repository: 'department-of-veterans-affairs/vsp-infra-application-manifests',
  base: '',
  path: 'manifests',
  files: '["apps/vsp-cms/values.yaml"]',
  mode: 'pull-request',
  app: 'vsp-cms',
  version: 'v0.0.418',
  'previous-version': 'v0.0.417',
  image: '008577686731.dkr.ecr.us-gov-west-1.amazonaws.com/dsva/cms-drupal',
  digest: '',
  branch: '',
  title: 'Release {app} {version}',
  body: '',
  'commit-message': 'Release {app} {version}',
  'release-notes-from': 'department-of-veterans-affairs/va.gov-cms',
  'app-token': 'ghs_app',
  'git-tag-prefix': '',
  'release-tag': '',
  labels: 'release, cms',
  reviewers: '',
  'team-reviewers': 'cms-infrastructure',
  draft: 'false',
  'auto-merge': 'off',
  supersede: 'true',
  'downgrade-reason': '',
};

const inputs = (overrides: Record<string, string> = {}) =>
  getInputs((name) => ({ ...DEFAULTS, ...overrides })[name] ?? '', { GITHUB_WORKSPACE: '/ws' });

describe('open-manifest-pr inputs', () => {
  it('parses the defaults', () => {
    const parsed = inputs();
    expect(parsed.branch).toBe('release/vsp-cms/v0.0.418');
    expect(parsed.path).toBe('/ws/manifests');
    expect(parsed.files).toEqual(['apps/vsp-cms/values.yaml']);
    expect(parsed.labels).toEqual(['release', 'cms']);
    expect(parsed.teamReviewers).toEqual(['cms-infrastructure']);
    expect(parsed.mode).toBe('pull-request');
    expect(parsed.autoMerge).toBe('off');
    expect(parsed.releaseNotesFrom).toEqual({
      owner: 'department-of-veterans-affairs',
      repo: 'va.gov-cms',
    });
  });

  it('takes the token from an SSM parameter instead, by name or ARN', () => {
    expect(
      inputs({ token: '', 'token-parameter': ' /devops/VA_VSP_BOT_GITHUB_TOKEN ' }),
    ).toMatchObject({
      token: '',
      tokenParameter: '/devops/VA_VSP_BOT_GITHUB_TOKEN',
    });
    const arn =
      'arn:aws-us-gov:ssm:us-gov-west-1:008577686731:parameter/devops/VA_VSP_BOT_GITHUB_TOKEN';
    expect(inputs({ token: '', 'token-parameter': arn }).tokenParameter).toBe(arn);
    expect(inputs().tokenParameter).toBeUndefined();
  });

  it('reads files as JSON or lines, normalised inside the checkout', () => {
    expect(parseFilesInput('')).toBeUndefined();
    expect(parseFilesInput('a.yaml\r\n b/c.yaml \n')).toEqual(['a.yaml', 'b/c.yaml']);
    expect(inputs({ files: 'apps/./vsp-cms/values.yaml' }).files).toEqual([
      'apps/vsp-cms/values.yaml',
    ]);
  });

  it.each([
    [
      { token: '' },
      /^input 'token': is empty: .* or name the SSM parameter holding it in token-parameter$/,
    ],
    [
      { 'token-parameter': '/devops/VA_VSP_BOT_GITHUB_TOKEN' },
      /^input 'token-parameter': is given as well as token: pass one of them/,
    ],
    [
      { token: '', 'token-parameter': 'devops/TOKEN' },
      /^input 'token-parameter': "devops\/TOKEN" has a path but no leading \//,
    ],
    [{ repository: 'nope' }, /^input 'repository'/],
    [{ mode: 'yolo' }, /^input 'mode': "yolo" is not one of pull-request, direct/],
    [{ 'auto-merge': 'fast' }, /^input 'auto-merge'/],
    [{ app: 'vsp cms' }, /^input 'app'/],
    [{ version: '' }, /^input 'version': is required/],
    [{ version: 'v 1' }, /^input 'version'/],
    [{ branch: 'release/../x' }, /^input 'branch'/],
    [{ files: '[not json' }, /^input 'files': starts with \[ but is not a JSON array/],
    [{ files: '[1, 2]' }, /^input 'files': must be a JSON array of strings/],
    [{ files: '../secrets.yaml' }, /^input 'files': "..\/secrets.yaml" is outside the checkout/],
    [{ files: '/etc/passwd' }, /^input 'files'/],
    [{ digest: 'sha256:abc' }, /^input 'digest'/],
    [{ draft: 'maybe' }, /^input 'draft'/],
    [{ version: 'v0.0.x' }, /^input 'version': "v0.0.x" is not a v0.0.{n} version/],
    [{ version: 'V0.0.5' }, /^input 'version'/],
    [{ version: 'v0.0.1--2' }, /^input 'version'/],
    [{ 'previous-version': 'v0.0.-1' }, /^input 'previous-version'/],
    [{ 'release-tag': 'v0.0.5 beta' }, /^input 'release-tag': "v0.0.5 beta" is not a git tag name/],
    [{ 'release-tag': 'v0.0..5' }, /^input 'release-tag'/],
  ])('refuses %j with a line naming the input', (overrides, message) => {
    expect(() => inputs(overrides)).toThrow(message);
  });
});
