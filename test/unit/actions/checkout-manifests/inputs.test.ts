import { describe, expect, it } from '@jest/globals';
import { getInputs } from '../../../../actions/checkout-manifests/src/inputs.js';

const DEFAULTS: Record<string, string> = {
  repository: 'department-of-veterans-affairs/vsp-infra-application-manifests',
  ref: '',
  path: 'manifests',
  token: '',
  'token-parameter': '/devops/VA_VSP_BOT_GITHUB_TOKEN',
};

const inputs = (overrides: Record<string, string> = {}) =>
  getInputs((name) => ({ ...DEFAULTS, ...overrides })[name] ?? '', { GITHUB_WORKSPACE: '/ws' });

describe('checkout-manifests inputs', () => {
  it('parses the parameter, the default branch and the path inside the workspace', () => {
    expect(inputs()).toEqual({
      repository: {
        owner: 'department-of-veterans-affairs',
        repo: 'vsp-infra-application-manifests',
      },
      ref: '',
      path: '/ws/manifests',
      token: '',
      tokenParameter: '/devops/VA_VSP_BOT_GITHUB_TOKEN',
    });
    expect(inputs({ token: 'ghs_x', 'token-parameter': '' })).toMatchObject({
      token: 'ghs_x',
      tokenParameter: undefined,
    });
  });

  it.each([
    [{ 'token-parameter': '' }, /^input 'token': is empty: .* token-parameter$/],
    [{ token: 'ghs_x' }, /^input 'token-parameter': is given as well as token/],
    [{ 'token-parameter': 'devops/X' }, /^input 'token-parameter': .*no leading \//],
    [{ ref: '--upload-pack=evil' }, /^input 'ref': "--upload-pack=evil" is not a branch/],
    [{ ref: 'main..x' }, /^input 'ref'/],
    [{ path: '../elsewhere' }, /^input 'path': .* inside the workspace/],
    [{ path: '.' }, /^input 'path'/],
    [{ path: '/etc' }, /^input 'path'/],
    [{ repository: 'nope' }, /^input 'repository'/],
  ])('refuses %j with a line naming the input', (overrides, message) => {
    expect(() => inputs(overrides)).toThrow(message);
  });
});
