/**
 * Which SSM parameters the manifests' ExternalSecrets name, with file and line: both APIs, stores
 * resolved within the manifests, and whatever names no single parameter reported as not checked.
 */
import { describe, expect, it } from '@jest/globals';
import {
  findParameterReferences,
  MAX_SCANNED_CHARACTERS,
  keyNameProblem,
  type ManifestText,
} from '../../../packages/external-secrets/index.js';

const lines = (...text: string[]): string => [...text, ''].join('\n');
const file = (path: string, ...text: string[]): ManifestText => ({ path, text: lines(...text) });
const named = (sources: ManifestText[]) =>
  findParameterReferences(sources).references.map(
    (reference) => `${reference.file}:${String(reference.line)} ${reference.name}`,
  );

const PARAMETER_STORE = [
  'apiVersion: external-secrets.io/v1beta1',
  'kind: SecretStore',
  'metadata:',
  '  name: ssm',
  '  namespace: cms',
  'spec:',
  '  provider:',
  '    aws:',
  '      service: ParameterStore',
  '      region: us-gov-west-1',
];

describe('kubernetes-external-secrets (kubernetes-client.io/v1)', () => {
  it('names each data key and dataFrom entry with its line and the resource region', () => {
    const scan = findParameterReferences([
      file(
        'apps/cms/dev/secrets.yaml',
        'apiVersion: kubernetes-client.io/v1',
        'kind: ExternalSecret',
        'metadata:',
        '  name: cms-drupal-secrets',
        '  namespace: cms',
        'spec:',
        '  backendType: systemManager',
        '  region: us-gov-west-1',
        '  data:',
        '    - key: /cms/dev/db_password',
        '      name: DB_PASSWORD',
        '    - name: SALT',
        '      key: "/cms/dev/salt"',
        '  dataFrom:',
        '    - /cms/dev/json_bundle',
      ),
    ]);
    expect(scan.resources).toBe(1);
    expect(
      scan.references.map(({ name, line, region, resource }) => [name, line, region, resource]),
    ).toEqual([
      ['/cms/dev/db_password', 10, 'us-gov-west-1', 'ExternalSecret cms/cms-drupal-secrets'],
      ['/cms/dev/salt', 13, 'us-gov-west-1', 'ExternalSecret cms/cms-drupal-secrets'],
      ['/cms/dev/json_bundle', 15, 'us-gov-west-1', 'ExternalSecret cms/cms-drupal-secrets'],
    ]);
  });

  it('leaves other backends alone and reports a data path as not checked', () => {
    const scan = findParameterReferences([
      file(
        'a.yaml',
        'apiVersion: kubernetes-client.io/v1',
        'kind: ExternalSecret',
        'metadata: {name: sm}',
        'spec:',
        '  backendType: secretsManager',
        '  data: [{key: prod/db, name: DB}]',
        '---',
        'apiVersion: kubernetes-client.io/v1',
        'kind: ExternalSecret',
        'metadata: {name: by-path}',
        'spec:',
        '  backendType: systemManager',
        '  data:',
        '    - path: /cms/dev/',
        '      recursive: true',
      ),
    ]);
    expect(scan.references).toEqual([]);
    expect(scan.resources).toBe(2);
    expect(scan.unchecked).toEqual([
      expect.objectContaining({
        file: 'a.yaml',
        line: 14,
        reason: expect.stringMatching(/path '\/cms\/dev\/'/),
      }),
    ]);
  });
});

describe('External Secrets Operator (external-secrets.io)', () => {
  it('names data[].remoteRef.key and dataFrom[].extract.key through a Parameter Store store', () => {
    const sources = [
      file('env/store.yaml', ...PARAMETER_STORE),
      file(
        'env/secret.yaml',
        'apiVersion: external-secrets.io/v1',
        'kind: ExternalSecret',
        'metadata: {name: drupal, namespace: cms}',
        'spec:',
        '  secretStoreRef: {name: ssm, kind: SecretStore}',
        '  data:',
        '    - secretKey: password',
        '      remoteRef:',
        '        key: /cms/prod/db_password',
        '        property: password',
        '  dataFrom:',
        '    - extract:',
        '        key: /cms/prod/bundle',
        '    - find:',
        '        path: /cms/prod/',
        '        name: {regexp: ".*"}',
      ),
    ];
    const scan = findParameterReferences(sources);
    expect(named(sources)).toEqual([
      'env/secret.yaml:9 /cms/prod/db_password',
      'env/secret.yaml:13 /cms/prod/bundle',
    ]);
    expect(scan.references[0]?.region).toBe('us-gov-west-1');
    expect(scan.unchecked).toEqual([
      expect.objectContaining({
        line: 14,
        reason: expect.stringMatching(/find selects parameters/),
      }),
    ]);
  });

  it('skips keys read from Secrets Manager, another provider or a generator', () => {
    const sources = [
      file(
        'stores.yaml',
        'apiVersion: external-secrets.io/v1beta1',
        'kind: ClusterSecretStore',
        'metadata: {name: sm}',
        'spec: {provider: {aws: {service: SecretsManager, region: us-east-1}}}',
        '---',
        'apiVersion: external-secrets.io/v1beta1',
        'kind: ClusterSecretStore',
        'metadata: {name: vault}',
        'spec: {provider: {vault: {server: "https://vault"}}}',
        '---',
        'apiVersion: external-secrets.io/v1beta1',
        'kind: ClusterSecretStore',
        'metadata: {name: params}',
        'spec: {provider: {aws: {service: ParameterStore}}}',
      ),
      file(
        'es.yaml',
        'apiVersion: external-secrets.io/v1beta1',
        'kind: ExternalSecret',
        'metadata: {name: mixed}',
        'spec:',
        '  secretStoreRef: {name: sm, kind: ClusterSecretStore}',
        '  data:',
        '    - secretKey: a',
        '      remoteRef: {key: prod/from-secrets-manager}',
        '    - secretKey: b',
        '      sourceRef: {storeRef: {name: vault, kind: ClusterSecretStore}}',
        '      remoteRef: {key: secret/data/x}',
        '    - secretKey: c',
        '      sourceRef: {storeRef: {name: params, kind: ClusterSecretStore}}',
        '      remoteRef: {key: /from/parameter-store}',
        '    - secretKey: d',
        '      sourceRef: {generatorRef: {kind: Password, name: pw}}',
        '      remoteRef: {key: /generated}',
      ),
    ];
    expect(named(sources)).toEqual(['es.yaml:14 /from/parameter-store']);
    expect(findParameterReferences(sources).references[0]?.region).toBeUndefined();
  });

  it('reports a store that is not in the manifests as not checked, naming it', () => {
    const scan = findParameterReferences([
      file(
        'es.yaml',
        'apiVersion: external-secrets.io/v1beta1',
        'kind: ExternalSecret',
        'metadata: {name: drupal, namespace: cms}',
        'spec:',
        '  secretStoreRef: {name: platform-ssm, kind: ClusterSecretStore}',
        '  data:',
        '    - secretKey: a',
        '      remoteRef: {key: /cms/a}',
      ),
    ]);
    expect(scan.references).toEqual([]);
    expect(scan.unchecked).toEqual([
      expect.objectContaining({
        file: 'es.yaml',
        line: 7,
        reason: expect.stringMatching(
          /ClusterSecretStore 'platform-ssm' is not in the manifests read/,
        ),
      }),
    ]);
  });

  it('takes a namespaced SecretStore from the ExternalSecret namespace, not another one', () => {
    const otherNamespace = PARAMETER_STORE.map((line) =>
      line === '  namespace: cms'
        ? '  namespace: other'
        : line.replace('ParameterStore', 'SecretsManager'),
    );
    const sources = [
      file('a/store.yaml', ...otherNamespace),
      file('b/store.yaml', ...PARAMETER_STORE),
      file(
        'es.yaml',
        'apiVersion: external-secrets.io/v1beta1',
        'kind: ExternalSecret',
        'metadata: {name: drupal, namespace: cms}',
        'spec:',
        '  secretStoreRef: {name: ssm}',
        '  data: [{secretKey: a, remoteRef: {key: /cms/a}}]',
      ),
    ];
    expect(named(sources)).toEqual(['es.yaml:6 /cms/a']);
  });

  it('reads a ClusterExternalSecret and the v1alpha1 dataFrom form', () => {
    const sources = [
      file('store.yaml', ...PARAMETER_STORE),
      file(
        'ces.yaml',
        'apiVersion: external-secrets.io/v1beta1',
        'kind: ClusterExternalSecret',
        'metadata: {name: shared}',
        'spec:',
        '  namespaceSelector: {matchLabels: {team: cms}}',
        '  externalSecretSpec:',
        '    secretStoreRef: {name: ssm}',
        '    data: [{secretKey: a, remoteRef: {key: /shared/a}}]',
        '---',
        'apiVersion: external-secrets.io/v1alpha1',
        'kind: ExternalSecret',
        'metadata: {name: old, namespace: cms}',
        'spec:',
        '  secretStoreRef: {name: ssm}',
        '  dataFrom:',
        '    - key: /old/bundle',
      ),
    ];
    expect(named(sources)).toEqual(['ces.yaml:8 /shared/a', 'ces.yaml:16 /old/bundle']);
  });
});

describe('weird YAML', () => {
  it('follows anchors, aliases and merge keys, naming the line where the key is written', () => {
    const sources = [
      file(
        'kes.yaml',
        'apiVersion: kubernetes-client.io/v1',
        'kind: ExternalSecret',
        'metadata:',
        '  name: merged',
        '  annotations:',
        '    defaults: &defaults {backendType: systemManager, region: us-gov-west-1}',
        'spec:',
        '  <<: *defaults',
        '  data:',
        '    - name: A',
        '      key: &k /cms/a',
        '    - name: B',
        '      key: *k',
        '    - &entry {name: C, key: /cms/c}',
        '    - *entry',
        '---',
        'apiVersion: kubernetes-client.io/v1',
        'kind: ExternalSecret',
        'metadata: {name: alias-across-documents}',
        'spec: *defaults',
      ),
    ];
    const scan = findParameterReferences(sources);
    // The alias is named where it is written; an entry aliased whole is named where it is written
    // (once per line); an alias to another document's anchor is no YAML, so nothing is read from it.
    expect(named(sources)).toEqual([
      'kes.yaml:11 /cms/a',
      'kes.yaml:13 /cms/a',
      'kes.yaml:14 /cms/c',
    ]);
    expect(scan.references[0]?.region).toBe('us-gov-west-1');
  });

  it('reads nothing from values files, comments, broken documents or templates, and keeps going', () => {
    const sources = [
      file(
        'values.yaml',
        '# not a resource: a chart decides what these mean',
        'externalSecrets:',
        '  backendType: systemManager',
        '  data: [{key: /cms/from-values, name: X}]',
      ),
      file(
        'templates/es.yaml',
        'apiVersion: kubernetes-client.io/v1',
        'kind: ExternalSecret',
        'metadata: {name: {{ .Release.Name }}}',
        'spec:',
        '  backendType: systemManager',
        '  data: [{key: {{ .Values.key }}, name: X}]',
      ),
      file(
        'mixed.yaml',
        'kind: [broken',
        '---',
        '# kind: ExternalSecret in a comment only',
        'apiVersion: v1',
        'kind: ConfigMap',
        'data: {key: /not/a/parameter}',
        '---',
        'apiVersion: kubernetes-client.io/v1',
        'kind: ExternalSecret',
        'metadata: {name: ok}',
        'spec:',
        '  backendType: systemManager',
        '  data:',
        "    - {key: '{{ .Values.key }}', name: T}",
        '    - {key: /cms/after-broken, name: X}',
      ),
      {
        path: 'crlf.yaml',
        text: 'apiVersion: kubernetes-client.io/v1\r\nkind: ExternalSecret\r\nmetadata: {name: w}\r\nspec:\r\n  backendType: systemManager\r\n  data:\r\n    - key: /cms/crlf\r\n',
      },
      { path: 'empty.yaml', text: '' },
    ];
    const scan = findParameterReferences(sources);
    expect(named(sources)).toEqual(['mixed.yaml:15 /cms/after-broken', 'crlf.yaml:7 /cms/crlf']);
    expect(scan.unchecked).toEqual([
      expect.objectContaining({
        file: 'mixed.yaml',
        line: 14,
        reason: expect.stringMatching(/template/),
      }),
    ]);
  });

  it('keeps a name with a version selector, skips ARNs and AWS paths, flags impossible names', () => {
    const sources = [
      file(
        'kes.yaml',
        'apiVersion: kubernetes-client.io/v1',
        'kind: ExternalSecret',
        'metadata: {name: n}',
        'spec:',
        '  backendType: systemManager',
        '  data:',
        '    - {key: "/cms/db:3", name: A}',
        '    - {key: "arn:aws-us-gov:ssm:us-gov-west-1:008577686731:parameter/cms/x", name: B}',
        '    - {key: /aws/reference/secretsmanager/cms, name: C}',
        '    - {key: "/cms/has space", name: D}',
        '    - {key: "", name: E}',
        '    - {key: 12345, name: F}',
      ),
    ];
    const scan = findParameterReferences(sources);
    expect(scan.references.map(({ name, invalid }) => [name, invalid !== undefined])).toEqual([
      ['/cms/db', false],
      ['/cms/has space', true],
      ['', true],
      ['12345', false],
    ]);
    expect(scan.unchecked.map((skipped) => skipped.line)).toEqual([8, 9]);
  });

  it('does not expand a billion aliases', () => {
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let level = 1; level < 10; level += 1) {
      const previous = String.fromCharCode(96 + level);
      const next = String.fromCharCode(97 + level);
      bomb.push(`${next}: &${next} [${Array(10).fill(`*${previous}`).join(', ')}]`);
    }
    const sources = [
      file(
        'bomb.yaml',
        ...bomb,
        'apiVersion: kubernetes-client.io/v1',
        'kind: ExternalSecret',
        'metadata: {name: bomb}',
        'spec:',
        '  backendType: systemManager',
        '  data: *j',
      ),
    ];
    expect(named(sources)).toEqual([]);
  });
});

describe('files too large to read', () => {
  it('reports a file over the limit as not checked instead of parsing it', () => {
    const big = [
      'apiVersion: kubernetes-client.io/v1',
      'kind: ExternalSecret',
      'metadata: {name: big}',
      'spec:',
      '  backendType: systemManager',
      '  data: [{key: /cms/big, name: X}]',
      `# ${'x'.repeat(MAX_SCANNED_CHARACTERS)}`,
    ].join('\n');
    const scan = findParameterReferences([{ path: 'big.yaml', text: big }]);
    expect(scan.references).toEqual([]);
    expect(scan.unchecked).toEqual([
      expect.objectContaining({
        file: 'big.yaml',
        reason: expect.stringMatching(/larger than 2 MiB/),
      }),
    ]);
  });
});

describe('keyNameProblem', () => {
  it.each([
    ['/cms/prod/db_password', undefined],
    ['plain-name.v2', undefined],
    ['cms/prod/x', /no leading \//],
    ['/cms/prod/x y', /letters, digits/],
    ['awsKey', /reserved/],
    [`/${Array(16).fill('a').join('/')}`, /levels deep/],
    [`/${'x'.repeat(2048)}`, /is not a parameter name/],
  ])('name %#', (name, problem) => {
    const found = keyNameProblem(name);
    if (problem === undefined) expect(found).toBeUndefined();
    else expect(found).toMatch(problem);
  });
});
