/**
 * The ExternalSecrets parameter check through the real `@aws-sdk/client-ssm` against the SSM test
 * server: batches of at most 50 names, short pages followed to the end, throttling retried, access
 * denied named by the IAM action, and never an operation that returns a value.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  checkParameters,
  createParameterLookup,
  MissingParametersError,
  type ManifestText,
  type ParameterCheckRequest,
} from '../../packages/external-secrets/index.js';
import { recordingLogger } from '../../packages/kit/index.js';
import { updateManifests } from '../../packages/manifest/index.js';
import { startSsmServer, type SsmTestServer } from '../support/ssm-server/index.js';

const REGION = 'us-gov-west-1';
const SECRET_VALUE = 'hunter2-never-leaves-ssm';

function kesManifest(keys: readonly string[]): string {
  return [
    'apiVersion: kubernetes-client.io/v1',
    'kind: ExternalSecret',
    'metadata: {name: cms-drupal-secrets, namespace: cms}',
    'spec:',
    '  backendType: systemManager',
    '  data:',
    ...keys.map((key, index) => `    - {key: ${key}, name: VAR_${String(index)}}`),
    '',
  ].join('\n');
}

describe('the parameter check against the SSM test server', () => {
  let server: SsmTestServer;
  const savedEnv = { ...process.env };

  beforeAll(async () => {
    // AWS filters after paging: pages of 20 make each batch of 50 take three requests.
    server = await startSsmServer({ region: REGION, describePageLimit: 20 });
    process.env.AWS_ENDPOINT_URL_SSM = server.endpoint;
    process.env.AWS_ACCESS_KEY_ID = 'AKIAGITOPSTEST000017';
    process.env.AWS_SECRET_ACCESS_KEY = 'not-a-real-secret-key-for-the-test-server';
    for (let index = 0; index < 110; index += 1) {
      server.putParameter({ name: `/cms/dev/p${String(index)}`, value: SECRET_VALUE });
    }
    // Parameters nobody names are on the same pages as the ones asked for, and must not count.
    for (let index = 0; index < 30; index += 1) {
      server.putParameter({ name: `/cms/other/q${String(index)}`, value: SECRET_VALUE });
    }
  });

  afterAll(async () => {
    await server.close();
    process.env = savedEnv;
  });

  beforeEach(() => {
    server.allowAll();
    server.clearFaults();
  });

  function request(sources: ManifestText[], overrides: Partial<ParameterCheckRequest> = {}) {
    const logger = recordingLogger();
    const full: ParameterCheckRequest = {
      sources,
      mode: 'error',
      region: REGION,
      regionInput: 'region',
      modeInput: 'check-parameters',
      lookupFor: (region) =>
        createParameterLookup({ region, logger, modeInput: 'check-parameters', maxAttempts: 3 }),
      logger,
      ...overrides,
    };
    return { full, logger };
  }

  it('looks up 120 names in batches of 50, follows every page, and names the 10 missing with file and line', async () => {
    const names = Array.from({ length: 120 }, (_, index) => `/cms/dev/p${String(index)}`);
    const before = server.requests.length;
    const { full, logger } = request([
      { path: 'apps/vsp-cms/dev/secrets.yaml', text: kesManifest(names) },
    ]);
    const failure = await checkParameters(full).catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(MissingParametersError);
    const missing = (failure as MissingParametersError).missing;
    expect(missing.map((parameter) => parameter.name)).toEqual(names.slice(110));
    expect(logger.records.filter((record) => record.level === 'error')).toHaveLength(10);
    expect(logger.records).toContainEqual({
      level: 'error',
      message: `apps/vsp-cms/dev/secrets.yaml:117: SSM parameter /cms/dev/p110 does not exist in ${REGION}`,
    });

    const sent = server.requests.slice(before);
    expect(new Set(sent.map((call) => call.operation))).toEqual(new Set(['DescribeParameters']));
    // Batches of 50, 50, 20 names; the first two need pages of 20, 20, 10 (three requests each).
    const batches = [...new Set(sent.map((call) => JSON.stringify(call.names)))].map(
      (batch) => JSON.parse(batch) as string[],
    );
    expect(batches.map((batch) => batch.length)).toEqual([50, 50, 20]);
    expect(sent).toHaveLength(3 + 3 + 1);
    expect(sent.filter((call) => call.input.NextToken !== undefined)).toHaveLength(4);
    for (const call of sent) {
      expect(call.withDecryption).toBeUndefined();
      expect(call.input).toMatchObject({ MaxResults: 50 });
    }
    expect(JSON.stringify(logger.records)).not.toContain(SECRET_VALUE);
  });

  it('warns instead, with mode warn, and goes on', async () => {
    const { full, logger } = request(
      [{ path: 'dev/secrets.yaml', text: kesManifest(['/cms/dev/p1', '/cms/dev/nope']) }],
      { mode: 'warn' },
    );
    await expect(checkParameters(full)).resolves.toMatchObject({ checked: 2 });
    expect(logger.records).toContainEqual({
      level: 'warning',
      message: `dev/secrets.yaml:8: SSM parameter /cms/dev/nope does not exist in ${REGION}`,
    });
  });

  it('is throttled twice, retries, and then succeeds', async () => {
    server.injectFault({ operation: 'DescribeParameters', kind: 'throttling', times: 2 });
    const { full, logger } = request([
      { path: 'dev/secrets.yaml', text: kesManifest(['/cms/dev/p1']) },
    ]);
    await expect(checkParameters(full)).resolves.toMatchObject({ checked: 1, missing: [] });
    expect(logger.records).toContainEqual({
      level: 'info',
      message: 'SSM DescribeParameters succeeded after 3 attempts',
    });
  });

  it('names the IAM action to grant when SSM denies the lookup', async () => {
    server.denyAccess({ operation: 'DescribeParameters' });
    const { full } = request([{ path: 'dev/secrets.yaml', text: kesManifest(['/cms/dev/p1']) }]);
    await expect(checkParameters(full)).rejects.toThrow(
      /^SSM refused DescribeParameters in us-gov-west-1 \(.*\): grant the job's role ssm:DescribeParameters on resource "\*" .*or set check-parameters: off$/,
    );
  });

  it('stops update-manifest before any file is written, and lets it write once the parameter exists', async () => {
    const root = await mkdtemp(join(tmpdir(), 'parameter-check-'));
    try {
      const values = 'image:\n  repository: dsva/cms-drupal\n  tag: v0.0.417\n';
      await writeFile(join(root, 'values.yaml'), values);
      await writeFile(join(root, 'secrets.yaml'), kesManifest(['/cms/dev/p1', '/cms/dev/later']));
      const update = () =>
        updateManifests({
          root,
          image: 'dsva/cms-drupal',
          tag: 'v0.0.418',
          logger: recordingLogger(),
          beforeWrite: async (sources) => {
            await checkParameters(request([...sources]).full);
          },
        });
      await expect(update()).rejects.toThrow(/\/cms\/dev\/later at secrets\.yaml:8/);
      expect(await readFile(join(root, 'values.yaml'), 'utf8')).toBe(values);

      server.putParameter({ name: '/cms/dev/later', value: SECRET_VALUE });
      await expect(update()).resolves.toMatchObject({ changedFiles: ['values.yaml'] });
      expect(await readFile(join(root, 'values.yaml'), 'utf8')).toContain('tag: v0.0.418');
    } finally {
      await rm(root, { recursive: true, force: true });
      server.deleteParameter('/cms/dev/later');
    }
  });

  it('never calls an operation that returns a value', () => {
    expect(server.requestsFor('GetParameter')).toEqual([]);
    expect(server.requestsFor('GetParameters')).toEqual([]);
  });
});
