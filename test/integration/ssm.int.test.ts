/**
 * packages/ssm with the real `@aws-sdk/client-ssm`, reaching the SSM test server through AWS's own
 * AWS_ENDPOINT_URL_SSM variable: the manifests token read from a SecureString, masked before anything
 * else, and every way it can fail as one line naming the parameter and what to grant.
 */
import { inspect } from 'node:util';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { recordingLogger } from '../../packages/kit/index.js';
import {
  createSsmClient,
  readSecretParameter,
  SsmError,
  type SsmClient,
} from '../../packages/ssm/index.js';
import { startSsmServer, type SsmTestServer } from '../support/ssm-server/index.js';

const REGION = 'us-gov-west-1';
const TOKEN_PARAMETER = '/devops/VA_VSP_BOT_GITHUB_TOKEN';
const TOKEN = 'ghs_bot_token_from_parameter_store_0001';
const SECRET_ACCESS_KEY = 'not-a-real-secret-key-for-the-ssm-server';

describe('readSecretParameter against the SSM test server', () => {
  let server: SsmTestServer;
  let ssm: SsmClient;
  const savedEnv = { ...process.env };
  let events: string[];
  let logger: ReturnType<typeof recordingLogger>;

  /** A request whose mask and log calls land in one ordered list. */
  const request = (name: string): Parameters<typeof readSecretParameter>[1] => ({
    name,
    input: 'token-parameter',
    maskSecret: (secret) => events.push(`mask ${secret}`),
    logger: {
      ...logger,
      info: (message) => {
        events.push(`info ${message}`);
        logger.info(message);
      },
    },
  });

  async function failure(name: string, client = ssm): Promise<SsmError> {
    try {
      await readSecretParameter(client, request(name));
    } catch (error: unknown) {
      const printed = `${String(error)}\n${inspect(error, { depth: 6 })}`;
      expect(printed).not.toContain(TOKEN);
      expect(printed).not.toContain(SECRET_ACCESS_KEY);
      if (error instanceof SsmError) return error;
      throw error;
    }
    throw new Error('expected an SsmError');
  }

  beforeAll(async () => {
    server = await startSsmServer({ region: REGION });
    process.env.AWS_ENDPOINT_URL_SSM = server.endpoint;
    process.env.AWS_ACCESS_KEY_ID = 'ASIAGITOPSSSMTEST001';
    process.env.AWS_SECRET_ACCESS_KEY = SECRET_ACCESS_KEY;
    process.env.AWS_SESSION_TOKEN = 'session-token-for-the-ssm-server';
    process.env.AWS_EC2_METADATA_DISABLED = 'true';
    ssm = createSsmClient({ region: REGION, maxAttempts: 3 });
    server.putParameter({ name: TOKEN_PARAMETER, value: `${TOKEN}\n` });
    server.putParameter({ name: '/devops/PLAIN_TOKEN', value: TOKEN, type: 'String' });
    server.putParameter({ name: '/devops/LIST_TOKEN', value: `${TOKEN},x`, type: 'StringList' });
    server.putParameter({ name: '/devops/EMPTY', value: '  ' });
    server.putParameter({ name: '/devops/OWN_KEY', value: TOKEN, keyId: 'alias/devops-secrets' });
  });

  beforeEach(() => {
    events = [];
    logger = recordingLogger();
    server.allowAll();
    server.clearFaults();
  });

  afterAll(async () => {
    ssm.sdk.destroy();
    await server.close();
    process.env = savedEnv;
  });

  it('reads the SecureString with decryption, masks it before anything else, trimmed of its newline', async () => {
    const before = server.requests.length;
    const value = await readSecretParameter(ssm, request(TOKEN_PARAMETER));
    expect(value).toBe(TOKEN);
    // The raw value and the trimmed one, both before the log line.
    expect(events).toEqual([
      `mask ${TOKEN}\n`,
      `mask ${TOKEN}`,
      `info Read parameter ${TOKEN_PARAMETER} (SecureString, version 1)`,
    ]);
    const sent = server.requests.slice(before);
    expect(sent.map((r) => [r.operation, r.names, r.withDecryption])).toEqual([
      ['GetParameter', [TOKEN_PARAMETER], true],
    ]);
    expect(sent[0]?.accessKeyId).toBe('ASIAGITOPSSSMTEST001');
  });

  it('reads by ARN', async () => {
    const value = await readSecretParameter(ssm, request(server.parameterArn(TOKEN_PARAMETER)));
    expect(value).toBe(TOKEN);
  });

  it('names the parameter when it does not exist', async () => {
    const error = await failure('/devops/NO_SUCH_TOKEN');
    expect(error.kind).toBe('parameter-not-found');
    expect(error.message).toBe(
      `input 'token-parameter': parameter /devops/NO_SUCH_TOKEN not found in Parameter Store in ${REGION}: ` +
        'check the name (it starts with / when it has a path) and the region, or create it as a SecureString',
    );
    expect(events).toEqual([]);
  });

  it('names ssm:GetParameter and the parameter ARN when the role may not read it', async () => {
    server.denyAccess({ operation: 'GetParameter', name: TOKEN_PARAMETER });
    const error = await failure(TOKEN_PARAMETER);
    expect(error.kind).toBe('access-denied');
    expect(error.message).toBe(
      `input 'token-parameter': access denied reading parameter ${TOKEN_PARAMETER}: the AWS credentials lack ` +
        `ssm:GetParameter on ${server.parameterArn(TOKEN_PARAMETER)}; allow ssm:GetParameter on it in the role's policy`,
    );
  });

  it("names kms:Decrypt and the key's ARN when the role may read the parameter but not decrypt it", async () => {
    server.denyDecrypt({ keyId: 'alias/devops-secrets', kind: 'access-denied' });
    const error = await failure('/devops/OWN_KEY');
    expect(error.kind).toBe('kms-denied');
    expect(error.message).toBe(
      "input 'token-parameter': cannot decrypt parameter /devops/OWN_KEY: the AWS credentials lack kms:Decrypt " +
        `on its key ${server.keyArn('alias/devops-secrets')}; allow kms:Decrypt on that key in the role's ` +
        'policy (and the key policy)',
    );
    // Another key still decrypts: the denial is the key's, not the parameter store's.
    await expect(readSecretParameter(ssm, request(TOKEN_PARAMETER))).resolves.toBe(TOKEN);
  });

  it('says the key is disabled when KMS answers InvalidKeyId', async () => {
    server.denyDecrypt({ kind: 'disabled' });
    const error = await failure(TOKEN_PARAMETER);
    expect(error.kind).toBe('kms-key-unusable');
    expect(error.message).toContain(
      `its KMS key is unusable (${server.keyArn('alias/aws/ssm')} is disabled.)`,
    );
    expect(error.message).not.toContain('Request ID');
  });

  it('retries throttling and succeeds, noting the attempts', async () => {
    server.injectFault({ operation: 'GetParameter', kind: 'throttling', times: 1 });
    server.injectFault({ operation: 'GetParameter', kind: 'internal-error', times: 1 });
    await expect(readSecretParameter(ssm, request(TOKEN_PARAMETER))).resolves.toBe(TOKEN);
    expect(events.at(-1)).toBe(
      `info Read parameter ${TOKEN_PARAMETER} (SecureString, version 1) after 3 attempts`,
    );
  });

  it('gives up on throttling after maxAttempts with a one-line error', async () => {
    const once = createSsmClient({ region: REGION, maxAttempts: 1 });
    try {
      server.injectFault({ operation: 'GetParameter', kind: 'throttling', times: 1 });
      const error = await failure(TOKEN_PARAMETER, once);
      expect(error.kind).toBe('throttled');
      expect(error.message).toContain(
        `Parameter Store kept throttling GetParameter of parameter ${TOKEN_PARAMETER}`,
      );
      server.injectFault({ operation: 'GetParameter', kind: 'unavailable', times: 1 });
      const unavailable = await failure(TOKEN_PARAMETER, once);
      expect(unavailable.kind).toBe('service');
      expect(unavailable.message).toContain('HTTP 503');
    } finally {
      once.sdk.destroy();
    }
  });

  it.each([
    ['/devops/PLAIN_TOKEN', 'String'],
    ['/devops/LIST_TOKEN', 'StringList'],
  ])('refuses %s (a %s): masked all the same, since it was read', async (name, type) => {
    const error = await failure(name);
    expect(error.kind).toBe('wrong-type');
    expect(error.message).toBe(
      `input 'token-parameter': parameter ${name} is a ${type}, not a SecureString: a secret in a String is ` +
        'readable without kms:Decrypt; store it again as a SecureString (aws ssm put-parameter --type ' +
        'SecureString --overwrite)',
    );
    expect(events[0]).toMatch(/^mask /);
    expect(logger.records).toEqual([]);
  });

  it('refuses an empty value', async () => {
    const error = await failure('/devops/EMPTY');
    expect(error.kind).toBe('empty-value');
  });

  it.each([
    ['devops/TOKEN', 'has a path but no leading /'],
    ['/devops//TOKEN', 'empty path segment'],
    ['/devops/TOKEN; rm -rf', 'is not a parameter name'],
  ])('refuses the name %s before any request', async (name, problem) => {
    const before = server.requests.length;
    const error = await failure(name);
    expect(error.kind).toBe('invalid-argument');
    expect(error.message).toContain(problem);
    expect(error.message).toMatch(/^input 'token-parameter': /);
    expect(server.requests.length).toBe(before);
  });

  it('says to configure credentials when there are none', async () => {
    const saved = { ...process.env };
    delete process.env.AWS_ACCESS_KEY_ID;
    delete process.env.AWS_SECRET_ACCESS_KEY;
    delete process.env.AWS_SESSION_TOKEN;
    process.env.AWS_SHARED_CREDENTIALS_FILE = '/nonexistent/credentials';
    process.env.AWS_CONFIG_FILE = '/nonexistent/config';
    const anonymous = createSsmClient({ region: REGION, maxAttempts: 1 });
    try {
      const error = await failure(TOKEN_PARAMETER, anonymous);
      expect(error.kind).toBe('credentials');
      expect(error.message).toContain('configure them before this step');
    } finally {
      anonymous.sdk.destroy();
      process.env = saved;
    }
  });

  it('refuses an unknown region before any request', () => {
    expect(() => createSsmClient({ region: 'us-gov-west-9' })).toThrow(SsmError);
  });
});
