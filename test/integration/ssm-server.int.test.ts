/**
 * The SSM test server as the real `@aws-sdk/client-ssm` sees it, reached through AWS's own
 * AWS_ENDPOINT_URL_SSM variable: the wire shapes parse into the SDK's modelled outputs and errors.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  AccessDeniedException,
  DescribeParametersCommand,
  GetParameterCommand,
  GetParametersCommand,
  InvalidKeyId,
  InvalidNextToken,
  ParameterNotFound,
  SSMClient,
  SSMServiceException,
  paginateDescribeParameters,
} from '@aws-sdk/client-ssm';
import { startSsmServer, type SsmTestServer } from '../support/ssm-server/index.js';

const REGION = 'us-gov-west-1';

async function rejection(promise: Promise<unknown>): Promise<SSMServiceException> {
  try {
    await promise;
  } catch (error: unknown) {
    if (error instanceof SSMServiceException) return error;
    throw error;
  }
  throw new Error('expected an SSM error');
}

describe('the SSM test server through @aws-sdk/client-ssm', () => {
  let server: SsmTestServer;
  let ssm: SSMClient;
  const savedEnv = { ...process.env };

  beforeAll(async () => {
    server = await startSsmServer();
    process.env.AWS_ENDPOINT_URL_SSM = server.endpoint;
    process.env.AWS_ACCESS_KEY_ID = 'AKIAGITOPSTEST000002';
    process.env.AWS_SECRET_ACCESS_KEY = 'not-a-real-secret-key-for-the-test-server';
    process.env.AWS_REGION = REGION;
    // The env endpoint, not a code one: what the actions will meet in a workflow.
    ssm = new SSMClient({ maxAttempts: 3 });
    server.putParameter({ name: '/devops/BOT_TOKEN', value: 'ghp_botvalue', type: 'SecureString' });
    server.putParameter({ name: '/devops/PLAIN', value: 'plain', type: 'String' });
    server.putParameter({ name: '/devops/LIST', value: 'a,b,c', type: 'StringList' });
    server.putParameter({
      name: '/devops/OTHER_KEY',
      value: 'other',
      type: 'SecureString',
      keyId: 'alias/devops',
    });
  });

  afterAll(async () => {
    ssm.destroy();
    await server.close();
    process.env = savedEnv;
  });

  it('answers GetParameter with the decrypted SecureString, its ARN in the GovCloud partition and a Date', async () => {
    const { Parameter } = await ssm.send(
      new GetParameterCommand({ Name: '/devops/BOT_TOKEN', WithDecryption: true }),
    );
    expect(Parameter).toMatchObject({
      Name: '/devops/BOT_TOKEN',
      Type: 'SecureString',
      Value: 'ghp_botvalue',
      Version: 1,
      ARN: `arn:aws-us-gov:ssm:${REGION}:${server.accountId}:parameter/devops/BOT_TOKEN`,
      DataType: 'text',
    });
    expect(Parameter?.LastModifiedDate).toBeInstanceOf(Date);
    const [recorded] = server.requestsFor('GetParameter');
    expect(recorded).toMatchObject({
      names: ['/devops/BOT_TOKEN'],
      withDecryption: true,
      accessKeyId: 'AKIAGITOPSTEST000002',
      signingRegion: REGION,
      status: 200,
    });
    expect(recorded?.headers['x-amz-target']).toBe('AmazonSSM.GetParameter');
  });

  it('gives a SecureString without decryption as an opaque blob holding nothing of the value', async () => {
    const { Parameter } = await ssm.send(new GetParameterCommand({ Name: '/devops/BOT_TOKEN' }));
    expect(Parameter?.Value).not.toContain('ghp_botvalue');
    expect(Buffer.from(Parameter?.Value ?? '', 'base64').toString('latin1')).not.toContain(
      'botvalue',
    );
  });

  it('reads by ARN, and String / StringList as stored', async () => {
    const byArn = await ssm.send(
      new GetParameterCommand({ Name: server.parameterArn('/devops/PLAIN') }),
    );
    expect(byArn.Parameter).toMatchObject({
      Name: '/devops/PLAIN',
      Type: 'String',
      Value: 'plain',
    });
    const list = await ssm.send(new GetParameterCommand({ Name: '/devops/LIST' }));
    expect(list.Parameter).toMatchObject({ Type: 'StringList', Value: 'a,b,c' });
  });

  it('answers ParameterNotFound (the modelled class) for a missing name', async () => {
    const error = await rejection(ssm.send(new GetParameterCommand({ Name: '/devops/NOPE' })));
    expect(error).toBeInstanceOf(ParameterNotFound);
    expect(error.$metadata.httpStatusCode).toBe(400);
  });

  it('denies ssm:GetParameter with AWS-shaped text naming the parameter ARN', async () => {
    server.denyAccess({ operation: 'GetParameter', name: '/devops/BOT_TOKEN' });
    try {
      const error = await rejection(
        ssm.send(new GetParameterCommand({ Name: '/devops/BOT_TOKEN', WithDecryption: true })),
      );
      expect(error).toBeInstanceOf(AccessDeniedException);
      expect(error.message).toBe(
        `User: arn:aws-us-gov:sts::${server.accountId}:assumed-role/gitops-release-test/GitHubActions ` +
          'is not authorized to perform: ssm:GetParameter on resource: ' +
          `${server.parameterArn('/devops/BOT_TOKEN')} because no identity-based policy allows the ` +
          'ssm:GetParameter action',
      );
      // Other parameters stay readable.
      await expect(
        ssm.send(new GetParameterCommand({ Name: '/devops/PLAIN' })),
      ).resolves.toBeDefined();
    } finally {
      server.allowAll();
    }
  });

  it('refuses decryption per key: kms:Decrypt denied, disabled and pending-deletion keys; no decryption still works', async () => {
    server.denyDecrypt({ keyId: 'alias/aws/ssm', kind: 'access-denied' });
    server.denyDecrypt({ keyId: 'alias/devops', kind: 'disabled' });
    try {
      const denied = await rejection(
        ssm.send(new GetParameterCommand({ Name: '/devops/BOT_TOKEN', WithDecryption: true })),
      );
      expect(denied).toBeInstanceOf(AccessDeniedException);
      expect(denied.message).toContain(
        `not authorized to perform: kms:Decrypt on resource: ${server.keyArn('alias/aws/ssm')}`,
      );
      expect(server.keyArn('alias/aws/ssm')).toMatch(
        new RegExp(`^arn:aws-us-gov:kms:${REGION}:${server.accountId}:key/[0-9a-f-]{36}$`),
      );
      const disabled = await rejection(
        ssm.send(new GetParameterCommand({ Name: '/devops/OTHER_KEY', WithDecryption: true })),
      );
      expect(disabled).toBeInstanceOf(InvalidKeyId);
      expect(disabled.message).toContain(`${server.keyArn('alias/devops')} is disabled.`);
      // Without decryption KMS isn't asked, and a String never needs it.
      await expect(
        ssm.send(new GetParameterCommand({ Name: '/devops/BOT_TOKEN' })),
      ).resolves.toBeDefined();
      await expect(
        ssm.send(new GetParameterCommand({ Name: '/devops/PLAIN', WithDecryption: true })),
      ).resolves.toBeDefined();
    } finally {
      server.allowAll();
    }
    server.denyDecrypt({ kind: 'pending-deletion' });
    try {
      const pending = await rejection(
        ssm.send(new GetParameterCommand({ Name: '/devops/OTHER_KEY', WithDecryption: true })),
      );
      expect(pending).toBeInstanceOf(InvalidKeyId);
      expect(pending.message).toContain('is pending deletion.');
    } finally {
      server.allowAll();
    }
  });

  it('throttles N times and then answers; the SDK retries ThrottlingException and a 500', async () => {
    const before = server.requests.length;
    server.injectFault({ operation: 'GetParameter', kind: 'throttling', times: 1 });
    server.injectFault({ operation: 'GetParameter', kind: 'internal-error', times: 1 });
    const { Parameter, $metadata } = await ssm.send(
      new GetParameterCommand({ Name: '/devops/PLAIN' }),
    );
    expect(Parameter?.Value).toBe('plain');
    expect($metadata.attempts).toBe(3);
    expect(server.requests.slice(before).map((r) => r.errorType)).toEqual([
      'ThrottlingException',
      'InternalServerError',
      undefined,
    ]);
    server.injectFault({ operation: '*', kind: 'unavailable', times: 3 });
    const unavailable = await rejection(
      ssm.send(new GetParameterCommand({ Name: '/devops/PLAIN' })),
    );
    expect(unavailable.$metadata.httpStatusCode).toBe(503);
    expect(unavailable.$fault).toBe('server');
  });

  it('answers GetParameters with found parameters and InvalidParameters, and refuses more than 10 names', async () => {
    const { Parameters, InvalidParameters } = await ssm.send(
      new GetParametersCommand({ Names: ['/devops/PLAIN', '/devops/NOPE', '/devops/LIST'] }),
    );
    expect(Parameters?.map((p) => p.Name)).toEqual(['/devops/PLAIN', '/devops/LIST']);
    expect(InvalidParameters).toEqual(['/devops/NOPE']);
    const tooMany = await rejection(
      ssm.send(
        new GetParametersCommand({
          Names: Array.from({ length: 11 }, (_, i) => `/n/${String(i)}`),
        }),
      ),
    );
    expect(tooMany.name).toBe('ValidationException');
    expect(tooMany.message).toContain('Member must have length less than or equal to 10');
  });

  it('describes parameters by Name filter, metadata only, paginated with NextToken', async () => {
    for (let index = 0; index < 12; index += 1) {
      server.putParameter({
        name: `/bulk/p${String(index).padStart(2, '0')}`,
        value: `secret-${String(index)}`,
      });
    }
    const names = Array.from({ length: 12 }, (_, i) => `/bulk/p${String(i).padStart(2, '0')}`);
    const pages = [];
    for await (const page of paginateDescribeParameters(
      { client: ssm, pageSize: 5 },
      {
        ParameterFilters: [{ Key: 'Name', Option: 'Equals', Values: [...names, '/bulk/missing'] }],
      },
    )) {
      pages.push(page);
    }
    expect(pages.map((page) => page.Parameters?.length)).toEqual([5, 5, 2]);
    const all = pages.flatMap((page) => page.Parameters ?? []);
    expect(all.map((p) => p.Name)).toEqual(names);
    expect(all[0]).toMatchObject({ Type: 'SecureString', KeyId: 'alias/aws/ssm', Version: 1 });
    expect(all[0]?.LastModifiedDate).toBeInstanceOf(Date);
    expect(JSON.stringify(all)).not.toContain('secret-');
    // Default page (no MaxResults) is smaller than the 12 matches.
    const first = await ssm.send(
      new DescribeParametersCommand({
        ParameterFilters: [{ Key: 'Name', Option: 'BeginsWith', Values: ['/bulk/'] }],
      }),
    );
    expect(first.NextToken).toBeDefined();
    // A token from other filters is refused.
    const replayed = await rejection(
      ssm.send(
        new DescribeParametersCommand({
          ParameterFilters: [{ Key: 'Name', Values: ['/devops/PLAIN'] }],
          NextToken: first.NextToken,
        }),
      ),
    );
    expect(replayed).toBeInstanceOf(InvalidNextToken);
    const recorded = server.requestsFor('DescribeParameters')[0];
    expect(recorded?.names).toHaveLength(13);
    expect(recorded?.input.MaxResults).toBe(5);
  });

  it('refuses MaxResults over 50, more than 50 filter values and an unknown filter option', async () => {
    const overMax = await rejection(ssm.send(new DescribeParametersCommand({ MaxResults: 51 })));
    expect(overMax.name).toBe('ValidationException');
    const tooManyValues = await rejection(
      ssm.send(
        new DescribeParametersCommand({
          ParameterFilters: [
            { Key: 'Name', Values: Array.from({ length: 51 }, (_, i) => `/v/${String(i)}`) },
          ],
        }),
      ),
    );
    expect(tooManyValues.message).toContain('less than or equal to 50');
    const badOption = await rejection(
      ssm.send(
        new DescribeParametersCommand({
          ParameterFilters: [{ Key: 'Name', Option: 'Contains', Values: ['/v'] }],
        }),
      ),
    );
    expect(badOption.name).toBe('InvalidFilterOption');
  });

  it('denies ssm:DescribeParameters on the account-wide resource', async () => {
    server.denyAccess({ operation: 'DescribeParameters' });
    try {
      const error = await rejection(ssm.send(new DescribeParametersCommand({})));
      expect(error).toBeInstanceOf(AccessDeniedException);
      expect(error.message).toContain(
        `ssm:DescribeParameters on resource: arn:aws-us-gov:ssm:${REGION}:${server.accountId}:*`,
      );
    } finally {
      server.allowAll();
    }
  });

  it('refuses a request signed for another service or region', async () => {
    const wrongRegion = new SSMClient({ region: 'us-gov-east-1', maxAttempts: 1 });
    try {
      const error = await rejection(
        wrongRegion.send(new GetParameterCommand({ Name: '/devops/PLAIN' })),
      );
      expect(error.name).toBe('InvalidSignatureException');
      expect(error.$metadata.httpStatusCode).toBe(403);
    } finally {
      wrongRegion.destroy();
    }
  });
});
