import { describe, expect, it } from '@jest/globals';
import { UsageError } from '../../../packages/cli/release-options.js';
import { DockerError } from '../../../packages/docker/index.js';
import { EcrError } from '../../../packages/ecr/index.js';
import { GitHubApiError } from '../../../packages/github/index.js';
import { hasValidationError } from '../../../packages/github/errors.js';
import {
  cliFailureLine,
  failureLine,
  GitOpsError,
  InputError,
} from '../../../packages/kit/index.js';
import { ManifestError, NotYamlError } from '../../../packages/manifest/index.js';
import { VersionError, VersionFormat } from '../../../packages/version/index.js';

describe('GitOpsError', () => {
  it('is the base of every package error', () => {
    const errors: Error[] = [
      new InputError('sha', 'bad'),
      new ManifestError('bad', { input: 'files' }),
      new NotYamlError('a.yaml', 'is not valid YAML'),
      new VersionError('bad'),
      new DockerError('docker push', 'bad'),
      new EcrError('unknown', 'bad'),
      new GitHubApiError('bad', 404, undefined),
      new UsageError('bad'),
    ];
    for (const error of errors) expect(error).toBeInstanceOf(GitOpsError);
  });

  it('names its input in the message, keeps the problem without it, and keeps the cause', () => {
    const cause = new Error('root cause');
    const error = new GitOpsError('is wrong', { input: 'manifests-path', cause });
    expect(error.message).toBe("input 'manifests-path': is wrong");
    expect(error.problem).toBe('is wrong');
    expect(error.input).toBe('manifests-path');
    expect(error.cause).toBe(cause);
    expect(new GitOpsError('plain').message).toBe('plain');
    expect(new GitOpsError('plain').input).toBeUndefined();
    expect('cause' in new GitOpsError('plain')).toBe(false);
  });

  it('keeps the message shapes of its subclasses', () => {
    expect(new InputError('sha', 'bad').message).toBe("input 'sha': bad");
    expect(new ManifestError('bad', { input: 'files' }).message).toBe("input 'files': bad");
    expect(new ManifestError('bad').message).toBe('bad');
    expect(new UsageError('bad', { input: 'region' }).message).toBe('--region: bad');
    expect(new UsageError('--sha is required').message).toBe('--sha is required');
  });

  it.each([
    ['{n} missing', 'v0.0.', '', 'format'],
    ['bad git tag prefix', 'v0.0.{n}', 'a..b/', 'git-tag-prefix'],
  ])('VersionFormat names the input at fault: %s', (_name, template, prefix, input) => {
    let thrown: unknown;
    try {
      VersionFormat.parse(template, prefix);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(VersionError);
    expect((thrown as VersionError).input).toBe(input);
  });
});

describe('failure lines', () => {
  const manifestError = new ManifestError("'deploy/' is not a directory", {
    input: 'manifests-path',
  });
  it.each<[string, unknown, string, string]>([
    [
      'an InputError',
      new InputError('sha', 'is not a commit SHA'),
      "release failed: input 'sha': is not a commit SHA",
      '--sha: is not a commit SHA',
    ],
    [
      'a ManifestError with an input',
      manifestError,
      "release failed: input 'manifests-path': 'deploy/' is not a directory",
      "--manifests-path: 'deploy/' is not a directory",
    ],
    [
      'a UsageError with an input',
      new UsageError('"x" is not a known AWS region', { input: 'region' }),
      'release failed: input \'region\': "x" is not a known AWS region',
      '--region: "x" is not a known AWS region',
    ],
    [
      'an error without an input, over lines',
      new Error('first\n  second'),
      'release failed: first second',
      'first second',
    ],
    ['a thrown string', 'text', 'release failed: text', 'text'],
    ['a thrown object', { code: 7 }, 'release failed: {"code":7}', '{"code":7}'],
    [
      'an object whose input is not an input (a command stdin)',
      Object.assign(new Error('docker failed'), { input: 'ghs_secret stdin\n' }),
      'release failed: docker failed',
      'docker failed',
    ],
    [
      'a plain Error with an input property: only GitOpsErrors blame inputs',
      Object.assign(new Error('release v0.0.5 does not exist'), { input: 'hotfix-of' }),
      'release failed: release v0.0.5 does not exist',
      'release v0.0.5 does not exist',
    ],
  ])('%s', (_name, error, action, cli) => {
    expect(failureLine('release', error)).toBe(action);
    expect(cliFailureLine(error)).toBe(cli);
  });
});

describe('classifying by structure, not message text', () => {
  it("reads GitHub's 422 errors array, not its message", () => {
    const refused = {
      status: 422,
      response: {
        data: {
          message: 'Validation Failed',
          errors: [{ resource: 'Release', code: 'already_exists', field: 'tag_name' }],
        },
      },
    };
    expect(hasValidationError(refused, 'tag_name', 'already_exists')).toBe(true);
    expect(hasValidationError(refused, 'name', 'already_exists')).toBe(false);
    const mentioning = { response: { data: { message: 'tag_name already_exists' } } };
    expect(hasValidationError(mentioning, 'tag_name', 'already_exists')).toBe(false);
    expect(hasValidationError(new Error('already_exists'), 'tag_name', 'already_exists')).toBe(
      false,
    );
  });
});
