import { describe, expect, it } from '@jest/globals';
import {
  failureLine,
  GitOpsError,
  InputError,
  markdownTable,
  parseBooleanInput,
  parseListInput,
  parsePositiveIntegerInput,
  parseRepositoryInput,
  parseShaInput,
  requireInput,
} from '../../../packages/kit/index.js';

describe('input parsing', () => {
  it('reads booleans in the forms YAML users write, and refuses others', () => {
    expect(parseBooleanInput('reserve', '', true)).toBe(true);
    expect(parseBooleanInput('reserve', 'False', true)).toBe(false);
    expect(parseBooleanInput('reserve', 'yes', false)).toBe(true);
    expect(() => parseBooleanInput('reserve', 'maybe', true)).toThrow(
      `input 'reserve': "maybe" is not a boolean: use true or false`,
    );
  });

  it('reads positive integers only', () => {
    expect(parsePositiveIntegerInput('start-at', '', 1)).toBe(1);
    expect(parsePositiveIntegerInput('start-at', ' 417 ', 1)).toBe(417);
    for (const bad of ['0', '-1', '1.5', '1e3', 'abc', '99999999999999999999']) {
      expect(() => parsePositiveIntegerInput('start-at', bad, 1)).toThrow(InputError);
    }
  });

  it('splits lists on commas and newlines', () => {
    expect(parseListInput('build, test\n lint \n\n')).toEqual(['build', 'test', 'lint']);
    expect(parseListInput('')).toEqual([]);
  });

  it('parses owner/name and refuses other shapes', () => {
    expect(parseRepositoryInput('repository', 'department-of-veterans-affairs/va.gov-cms')).toEqual(
      {
        owner: 'department-of-veterans-affairs',
        repo: 'va.gov-cms',
      },
    );
    for (const bad of ['cms', 'a/b/c', '/cms', 'owner/', 'own er/cms', '-owner/cms', 'o/..']) {
      expect(() => parseRepositoryInput('repository', bad)).toThrow(/input 'repository'/);
    }
  });

  it('accepts 7 to 40 hex characters as a SHA', () => {
    expect(parseShaInput('sha', 'ABCDEF1')).toBe('abcdef1');
    for (const bad of ['abc', 'main', 'g'.repeat(40), 'a'.repeat(41)]) {
      expect(() => parseShaInput('sha', bad)).toThrow(/input 'sha'/);
    }
  });

  it('requires a value, and says what to give when it knows an example', () => {
    expect(() => requireInput('repository', '  ')).toThrow(
      `input 'repository': is required and was empty`,
    );
    expect(() => requireInput('tag', ' \r\n', 'v0.0.418')).toThrow(
      `input 'tag': is required and was empty: give it, e.g. v0.0.418`,
    );
  });
});

describe('messages and summaries', () => {
  it('keeps a failure on one line, whatever was thrown', () => {
    expect(failureLine('compute-version', new Error('first\n  second'))).toBe(
      'compute-version failed: first second',
    );
    expect(failureLine('compute-version', 'text')).toBe('compute-version failed: text');
    expect(failureLine('compute-version', { code: 7 })).toBe('compute-version failed: {"code":7}');
  });

  it("names the input an error blames once, and nothing that is not an input's name", () => {
    const blaming = new GitOpsError('release v0.0.5 does not exist', { input: 'hotfix-of' });
    expect(failureLine('compute-version', blaming)).toBe(
      "compute-version failed: input 'hotfix-of': release v0.0.5 does not exist",
    );
    expect(failureLine('compute-version', new InputError('sha', 'bad'))).toBe(
      "compute-version failed: input 'sha': bad",
    );
    const carrying = Object.assign(new Error('docker failed'), { input: 'ghs_secret stdin\n' });
    expect(failureLine('ecr-build-push', carrying)).toBe('ecr-build-push failed: docker failed');
  });

  it('escapes cells so a value cannot break the table', () => {
    expect(markdownTable(['A', 'B'], [['x|y', 'line\nbreak']])).toBe(
      '| A | B |\n| --- | --- |\n| x\\|y | line<br>break |\n',
    );
  });
});
