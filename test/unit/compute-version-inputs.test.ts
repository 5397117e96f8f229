import { describe, expect, it } from '@jest/globals';
import { getInputs } from '../../actions/compute-version/src/inputs.js';

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
