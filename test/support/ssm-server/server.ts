/**
 * A test server speaking SSM Parameter Store's API as `@aws-sdk/client-ssm` does (AWS JSON 1.1: `POST /`,
 * header `X-Amz-Target: AmazonSSM.<Operation>`). Point the real SDK at it with `AWS_ENDPOINT_URL_SSM=<endpoint>`
 * (or the client's `endpoint`); requests must be SigV4-signed for service `ssm` in the server's region
 * (any keys: signatures are not verified).
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SsmApiError } from './errors.js';
import { SsmOperations, type SsmState } from './operations.js';
import {
  SSM_OPERATIONS,
  type SsmAccessDenial,
  type SsmFault,
  type SsmOperation,
  type SsmServerOptions,
  type SsmTestServer,
  type RecordedSsmRequest,
} from './types.js';

const TARGET_PREFIX = 'AmazonSSM.';
const CONTENT_TYPE = 'application/x-amz-json-1.1';

function partitionOf(region: string): string {
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  if (region.startsWith('cn-')) return 'aws-cn';
  return 'aws';
}

function isOperation(name: string): name is SsmOperation {
  return (SSM_OPERATIONS as readonly string[]).includes(name);
}

interface SigningScope {
  readonly accessKeyId: string;
  readonly region: string;
  readonly service: string;
}

/** The `Credential=` scope of a SigV4 authorization header, or a 403 as AWS answers it. */
function signingScope(authorization: string | undefined): SigningScope {
  if (authorization === undefined) {
    throw new SsmApiError(
      'MissingAuthenticationTokenException',
      'Missing Authentication Token',
      403,
    );
  }
  const match =
    /^AWS4-HMAC-SHA256 Credential=([^/\s]+)\/([0-9]{8})\/([^/\s]+)\/([^/\s]+)\/aws4_request, ?SignedHeaders=([^,\s]+), ?Signature=([0-9a-f]{64})$/.exec(
      authorization,
    );
  const [, accessKeyId, , region, service, signedHeaders] = match ?? [];
  if (
    accessKeyId === undefined ||
    region === undefined ||
    service === undefined ||
    signedHeaders === undefined
  ) {
    throw new SsmApiError(
      'IncompleteSignatureException',
      'Authorization header requires AWS4-HMAC-SHA256 Credential, SignedHeaders and Signature',
      403,
    );
  }
  const signed = signedHeaders.split(';');
  if (!signed.includes('host') || !signed.includes('x-amz-date')) {
    throw new SsmApiError(
      'IncompleteSignatureException',
      'host and x-amz-date must be signed',
      403,
    );
  }
  return { accessKeyId, region, service };
}

function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      resolve(Buffer.concat(chunks));
    });
    request.on('error', reject);
  });
}

function faultError(fault: SsmFault): SsmApiError {
  switch (fault.kind) {
    case 'throttling':
      return new SsmApiError('ThrottlingException', 'Rate exceeded');
    case 'internal-error':
      return new SsmApiError(
        'InternalServerError',
        'These server errors are served on demand by the test server.',
        500,
      );
    case 'unavailable':
      return new SsmApiError('ServiceUnavailable', undefined, 503);
  }
}

/** Every parameter name a request names: `Name`, `Names`, DescribeParameters' Name filter values. */
function namesIn(input: Readonly<Record<string, unknown>>): string[] {
  const names: string[] = [];
  if (typeof input.Name === 'string') names.push(input.Name);
  if (Array.isArray(input.Names)) names.push(...input.Names.map(String));
  if (Array.isArray(input.ParameterFilters)) {
    for (const filter of input.ParameterFilters as unknown[]) {
      const { Key: key, Values: values } = (filter ?? {}) as Record<string, unknown>;
      if (key === 'Name' && Array.isArray(values)) names.push(...values.map(String));
    }
  }
  return names;
}

/** Starts the SSM test server on 127.0.0.1 (free port) for account 008577686731 in us-gov-west-1 by default. */
export async function startSsmServer(options: SsmServerOptions = {}): Promise<SsmTestServer> {
  const accountId = options.accountId ?? '008577686731';
  const region = options.region ?? 'us-gov-west-1';
  const partition = partitionOf(region);
  const state: SsmState = {
    accountId,
    region,
    partition,
    callerArn:
      options.callerArn ??
      `arn:${partition}:sts::${accountId}:assumed-role/gitops-release-test/GitHubActions`,
    parameters: new Map(),
    ciphertexts: new Map(),
    decryptDenials: [],
    describePageLimit: options.describePageLimit,
  };
  const operations = new SsmOperations(state);
  const requests: RecordedSsmRequest[] = [];
  const faults: { fault: SsmFault; remaining: number }[] = [];
  const denials: SsmAccessDenial[] = [];

  const handle = (
    request: IncomingMessage,
    body: Buffer,
  ): {
    status: number;
    payload: unknown;
    operation: string;
    input: Record<string, unknown>;
    scope?: SigningScope;
  } => {
    const target = request.headers['x-amz-target'];
    const operationName =
      typeof target === 'string' && target.startsWith(TARGET_PREFIX)
        ? target.slice(TARGET_PREFIX.length)
        : String(target ?? '');
    let input: Record<string, unknown> = {};
    let scope: SigningScope | undefined;
    try {
      if (request.method !== 'POST') {
        throw new SsmApiError(
          'UnknownOperationException',
          `${request.method ?? ''} is not supported: use POST`,
        );
      }
      scope = signingScope(request.headers.authorization);
      if (scope.service !== 'ssm') {
        throw new SsmApiError(
          'InvalidSignatureException',
          "Credential should be scoped to correct service: 'ssm'.",
          403,
        );
      }
      if (scope.region !== region) {
        throw new SsmApiError(
          'InvalidSignatureException',
          `Credential should be scoped to a valid region, not '${scope.region}'.`,
          403,
        );
      }
      if (!(request.headers['content-type'] ?? '').startsWith(CONTENT_TYPE)) {
        throw new SsmApiError('SerializationException', `Content-Type must be ${CONTENT_TYPE}`);
      }
      if (!isOperation(operationName)) {
        throw new SsmApiError('UnknownOperationException', `Unknown operation ${operationName}`);
      }
      try {
        const parsed: unknown = JSON.parse(body.length === 0 ? '{}' : body.toString('utf8'));
        if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
          throw new Error('not an object');
        input = parsed as Record<string, unknown>;
      } catch {
        throw new SsmApiError(
          'SerializationException',
          'Start of structure or map found where not expected',
        );
      }
      const names = namesIn(input);
      const due = faults.find(
        ({ fault, remaining }) =>
          remaining > 0 &&
          (fault.operation === '*' || fault.operation === operationName) &&
          (fault.name === undefined || names.includes(fault.name)),
      );
      if (due !== undefined) {
        due.remaining -= 1;
        throw faultError(due.fault);
      }
      const denial = denials.find(
        (candidate) =>
          candidate.operation === operationName &&
          (candidate.name === undefined || names.includes(candidate.name)),
      );
      if (denial !== undefined) {
        const named =
          denial.name ?? (operationName === 'DescribeParameters' ? undefined : names[0]);
        const resource =
          named === undefined
            ? `arn:${partition}:ssm:${region}:${accountId}:*`
            : operations.parameterArn(named);
        throw new SsmApiError(
          'AccessDeniedException',
          `User: ${state.callerArn} is not authorized to perform: ssm:${operationName} on resource: ` +
            `${resource} because no identity-based policy allows the ssm:${operationName} action`,
        );
      }
      const payload = operations.run(operationName, input);
      return { status: 200, payload, operation: operationName, input, scope };
    } catch (error: unknown) {
      if (error instanceof SsmApiError) {
        return {
          status: error.status,
          payload:
            error.status === 503
              ? undefined
              : { __type: error.type, ...(error.hasMessage ? { message: error.message } : {}) },
          operation: operationName,
          input,
          ...(scope === undefined ? {} : { scope }),
        };
      }
      const message = error instanceof Error ? error.message : String(error);
      return {
        status: 500,
        payload: { __type: 'InternalServerError', message: `test server failure: ${message}` },
        operation: operationName,
        input,
        ...(scope === undefined ? {} : { scope }),
      };
    }
  };

  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    void readBody(request).then((body) => {
      const result = handle(request, body);
      const errorType =
        typeof result.payload === 'object' && result.payload !== null && '__type' in result.payload
          ? String(result.payload.__type)
          : result.status >= 400
            ? `HTTP ${String(result.status)}`
            : undefined;
      requests.push({
        operation: result.operation,
        input: result.input,
        names: namesIn(result.input),
        withDecryption:
          typeof result.input.WithDecryption === 'boolean'
            ? result.input.WithDecryption
            : undefined,
        accessKeyId: result.scope?.accessKeyId,
        signingRegion: result.scope?.region,
        sdkRequest:
          typeof request.headers['amz-sdk-request'] === 'string'
            ? request.headers['amz-sdk-request']
            : undefined,
        headers: request.headers,
        status: result.status,
        errorType,
      });
      const text = result.payload === undefined ? '' : JSON.stringify(result.payload);
      response.writeHead(result.status, {
        'content-type': CONTENT_TYPE,
        'content-length': Buffer.byteLength(text),
        'x-amzn-requestid': randomUUID(),
      });
      response.end(text);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    endpoint: `http://127.0.0.1:${String(port)}`,
    accountId,
    region,
    partition,
    requests,
    requestsFor: (operation) => requests.filter((recorded) => recorded.operation === operation),
    putParameter: (seed) => operations.put(seed),
    deleteParameter: (name) => {
      operations.delete(name);
    },
    parameterArn: (name) => operations.parameterArn(name),
    keyArn: (keyId) => operations.keyArn(keyId),
    denyAccess: (denial) => {
      denials.push(denial);
    },
    denyDecrypt: (denial) => {
      state.decryptDenials.push(denial);
    },
    allowAll: () => {
      denials.length = 0;
      state.decryptDenials.length = 0;
    },
    injectFault: (fault) => {
      faults.push({ fault, remaining: fault.times ?? 1 });
    },
    clearFaults: () => {
      faults.length = 0;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => {
          if (error) reject(error);
          else resolve();
        });
        server.closeAllConnections();
      }),
  };
}
