/**
 * The check's own rules, over a small in-memory lookup (the SDK and the SSM server are exercised in
 * test/integration/parameter-check.int.test.ts): batches, regions, modes and the lines it writes.
 */
import { describe, expect, it } from '@jest/globals';
import {
  checkParameters,
  MissingParametersError,
  type ManifestText,
  type ParameterCheckRequest,
  type ParameterLookup,
} from '../../../packages/external-secrets/index.js';
import { recordingLogger } from '../../../packages/kit/index.js';

function kes(path: string, keys: readonly string[], region?: string): ManifestText {
  return {
    path,
    text: [
      'apiVersion: kubernetes-client.io/v1',
      'kind: ExternalSecret',
      'metadata: {name: app, namespace: cms}',
      'spec:',
      '  backendType: systemManager',
      ...(region ? [`  region: ${region}`] : []),
      '  data:',
      ...keys.map((key) => `    - {key: "${key}", name: X}`),
      '',
    ].join('\n'),
  };
}

/** A store holding `existing`, keeping every batch it was asked, per region. */
function store(existing: readonly string[]) {
  const asked: { region: string; names: string[] }[] = [];
  const lookupFor = (region: string): ParameterLookup => ({
    existingNames(names) {
      asked.push({ region, names: [...names] });
      return Promise.resolve(new Set(names.filter((name) => existing.includes(name))));
    },
  });
  return { asked, lookupFor };
}

function request(
  sources: ManifestText[],
  lookupFor: ParameterCheckRequest['lookupFor'],
  overrides: Partial<ParameterCheckRequest> = {},
) {
  const logger = recordingLogger();
  const full: ParameterCheckRequest = {
    sources,
    mode: 'error',
    region: 'us-gov-west-1',
    regionInput: 'region',
    modeInput: 'check-parameters',
    lookupFor,
    logger,
    ...overrides,
  };
  return { logger, full };
}

describe('checkParameters', () => {
  it('asks for 120 distinct names in batches of at most 50, each name once', async () => {
    const names = Array.from({ length: 120 }, (_, index) => `/cms/p${String(index)}`);
    const ssm = store(names);
    const { full } = request(
      [kes('a.yaml', names), kes('b.yaml', names.slice(0, 10))],
      ssm.lookupFor,
    );
    const result = await checkParameters(full);
    expect(ssm.asked.map((call) => call.names.length)).toEqual([50, 50, 20]);
    expect(new Set(ssm.asked.flatMap((call) => call.names)).size).toBe(120);
    expect(result).toMatchObject({ checked: 120, missing: [] });
  });

  it('fails naming every missing parameter with file and line, one error line each', async () => {
    const ssm = store(['/cms/prod/present']);
    const { full, logger } = request(
      [kes('apps/x/dev/secrets.yaml', ['/cms/prod/present', '/cms/prod/db_password', '/cms/x y'])],
      ssm.lookupFor,
    );
    const failure = await checkParameters(full).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(MissingParametersError);
    expect((failure as MissingParametersError).message).toMatch(
      /^2 SSM parameter\(s\) named by ExternalSecrets do not exist \(first: \/cms\/prod\/db_password at apps\/x\/dev\/secrets\.yaml:8\): .*check-parameters: warn$/,
    );
    expect(logger.records.filter((record) => record.level === 'error')).toEqual([
      {
        level: 'error',
        message:
          'apps/x/dev/secrets.yaml:8: SSM parameter /cms/prod/db_password does not exist in us-gov-west-1',
      },
      {
        level: 'error',
        message: expect.stringMatching(
          /^apps\/x\/dev\/secrets\.yaml:9: SSM parameter '\/cms\/x y' cannot exist in us-gov-west-1: /,
        ),
      },
    ]);
    // A name SSM cannot hold is never sent.
    expect(ssm.asked.flatMap((call) => call.names)).toEqual([
      '/cms/prod/present',
      '/cms/prod/db_password',
    ]);
  });

  it('warns instead with mode warn, and asks nothing with mode off', async () => {
    const ssm = store([]);
    const warn = request([kes('a.yaml', ['/cms/a'])], ssm.lookupFor, { mode: 'warn' });
    await expect(checkParameters(warn.full)).resolves.toMatchObject({
      missing: [expect.objectContaining({ name: '/cms/a', line: 7 })],
    });
    expect(warn.logger.records).toContainEqual({
      level: 'warning',
      message: 'a.yaml:7: SSM parameter /cms/a does not exist in us-gov-west-1',
    });
    expect(warn.logger.records.some((record) => record.level === 'error')).toBe(false);

    const off = request([kes('a.yaml', ['/cms/a'])], ssm.lookupFor, { mode: 'off' });
    await expect(checkParameters(off.full)).resolves.toMatchObject({ checked: 0 });
    expect(ssm.asked).toHaveLength(1);
  });

  it("looks a name up in its resource's region, else the check's", async () => {
    const ssm = store(['/cms/a', '/cms/b']);
    const { full } = request(
      [kes('a.yaml', ['/cms/a'], 'us-east-1'), kes('b.yaml', ['/cms/b'])],
      ssm.lookupFor,
    );
    await checkParameters(full);
    expect(ssm.asked).toEqual([
      { region: 'us-east-1', names: ['/cms/a'] },
      { region: 'us-gov-west-1', names: ['/cms/b'] },
    ]);
  });

  it('needs no region, and makes no client, when nothing is to be looked up', async () => {
    const lookupFor = (): ParameterLookup => {
      throw new Error('no lookup expected');
    };
    const { full } = request([{ path: 'values.yaml', text: 'image: x\n' }], lookupFor, {
      region: undefined,
    });
    await expect(checkParameters(full)).resolves.toMatchObject({ checked: 0, missing: [] });
    const named = request([kes('a.yaml', ['/cms/a'])], lookupFor, { region: undefined });
    await expect(checkParameters(named.full)).rejects.toThrow(
      /^input 'region': no AWS region to look up SSM parameter \/cms\/a \(a\.yaml:7\)/,
    );
  });

  it('never lets a key or region from the manifests start a log line of its own', async () => {
    const sources: ManifestText[] = [
      {
        path: 'a.yaml',
        text: [
          'apiVersion: kubernetes-client.io/v1',
          'kind: ExternalSecret',
          'metadata: {name: app}',
          'spec:',
          '  backendType: systemManager',
          '  region: "us-gov-west-1\\n::stop-commands::x"',
          '  data:',
          '    - {key: "/cms/a\\n::add-mask::b", name: A}',
          '    - {key: "{{ x }}\\n::error::c", name: B}',
          '',
        ].join('\n'),
      },
    ];
    const { full, logger } = request(sources, store([]).lookupFor, { mode: 'warn' });
    await checkParameters(full);
    expect(logger.records.length).toBeGreaterThan(2);
    for (const record of logger.records) expect(record.message).not.toMatch(/[\r\n]/);
  });
});
