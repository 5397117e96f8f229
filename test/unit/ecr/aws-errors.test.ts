import { describe, expect, it } from '@jest/globals';
import { EcrError, sanitizeAwsMessage, toEcrError } from '../../../packages/ecr/index.js';

/** An error shaped like the SDK's service exceptions. */
function awsError(
  name: string,
  message: string,
  metadata: { httpStatusCode?: number; attempts?: number } = {},
  fault = 'client',
): Error {
  return Object.assign(new Error(message), {
    name,
    $fault: fault,
    $metadata: { httpStatusCode: 400, attempts: 1, ...metadata },
  });
}

const context = {
  operation: 'PutImage',
  region: 'us-gov-west-1',
  repository: 'team/app',
  tag: 'v2',
};

describe('toEcrError', () => {
  it('names repository, registry and region when the repository is missing', () => {
    const error = toEcrError(
      awsError(
        'RepositoryNotFoundException',
        "The repository with name 'team/app' does not exist in the registry with id '008577686731'",
      ),
      { ...context, operation: 'ListImages' },
    );
    expect(error).toBeInstanceOf(EcrError);
    expect(error.kind).toBe('repository-not-found');
    expect(error.message).toBe(
      "ECR repository 'team/app' not found in registry 008577686731.dkr.ecr.us-gov-west-1.amazonaws.com " +
        '(us-gov-west-1): create it, or check the repository name, account and region',
    );
  });

  it('says which permission is missing', () => {
    const error = toEcrError(
      awsError(
        'AccessDeniedException',
        'User: arn:aws-us-gov:sts::008577686731:assumed-role/r/s is not authorized to perform: ecr:PutImage on resource: x',
      ),
      context,
    );
    expect(error.kind).toBe('access-denied');
    expect(error.message).toBe(
      "access denied: the AWS credentials lack ecr:PutImage on repository 'team/app' in us-gov-west-1; " +
        "allow ecr:PutImage in the role's policy",
    );
    // Without AWS's wording, the operation names the permission.
    expect(toEcrError(awsError('AccessDeniedException', 'denied'), context).message).toContain(
      'lack ecr:PutImage',
    );
  });

  it('maps immutable tags, throttling, server faults and credentials', () => {
    expect(toEcrError(awsError('ImageTagAlreadyExistsException', 'x'), context)).toMatchObject({
      kind: 'tag-immutable',
      message: expect.stringContaining(
        "tag 'v2' already exists in ECR repository 'team/app'",
      ) as unknown,
    });
    expect(
      toEcrError(awsError('ThrottlingException', 'Rate exceeded', { attempts: 5 }), context),
    ).toMatchObject({
      kind: 'throttled',
      attempts: 5,
      message:
        'ECR kept throttling PutImage after 5 attempts (ThrottlingException); try again later',
    });
    expect(
      toEcrError(
        awsError('ServerException', 'boom', { httpStatusCode: 500, attempts: 5 }, 'server'),
        context,
      ).kind,
    ).toBe('service');
    expect(toEcrError(awsError('CredentialsProviderError', 'no providers'), context).kind).toBe(
      'credentials',
    );
    expect(toEcrError(awsError('ExpiredTokenException', 'expired'), context).kind).toBe(
      'credentials',
    );
  });

  it('keeps each message on one line and free of credential material', () => {
    const error = toEcrError(
      awsError(
        'SomethingNewException',
        'bad\nrequest Credential=AKIAIOSFODNN7EXAMPLE/20261128/us-gov-west-1/ecr/aws4_request, Signature=abc123',
      ),
      context,
    );
    expect(error.kind).toBe('unknown');
    expect(error.message).not.toContain('\n');
    expect(error.message).not.toContain('AKIAIOSFODNN7EXAMPLE');
    expect(error.message).not.toContain('abc123');
    expect(sanitizeAwsMessage('key ASIAABCDEFGHIJKLMNOP used')).toBe('key [redacted] used');
  });
});
