/**
 * A test server speaking ECR's API as `@aws-sdk/client-ecr` does (AWS JSON 1.1: `POST /`, header
 * `X-Amz-Target: AmazonEC2ContainerRegistry_V20150921.<Operation>`), backed by a real registry.
 * Point the real SDK at it with `AWS_ENDPOINT_URL_ECR=<endpoint>`; requests must be SigV4-signed
 * (any keys: signatures are not verified) for the server's region.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { RegistryApi } from '../docker/registry-api.js';
import { EcrApiError } from './errors.js';
import { EcrOperations, type EcrState } from './operations.js';
import {
  ECR_OPERATIONS,
  type AccessDenial,
  type EcrFault,
  type EcrOperation,
  type EcrServerOptions,
  type EcrTestServer,
  type RecordedEcrRequest,
} from './types.js';

const TARGET_PREFIX = 'AmazonEC2ContainerRegistry_V20150921.';
const CONTENT_TYPE = 'application/x-amz-json-1.1';

function partitionOf(region: string): string {
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  if (region.startsWith('cn-')) return 'aws-cn';
  return 'aws';
}

function isOperation(name: string): name is EcrOperation {
  return (ECR_OPERATIONS as readonly string[]).includes(name);
}

interface SigningScope {
  readonly accessKeyId: string;
  readonly region: string;
  readonly service: string;
}

/** The `Credential=` scope of a SigV4 authorization header, or an ECR-style 403. */
function signingScope(authorization: string | undefined): SigningScope {
  if (authorization === undefined) {
    throw new EcrApiError(
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
    throw new EcrApiError(
      'IncompleteSignatureException',
      'Authorization header requires AWS4-HMAC-SHA256 Credential, SignedHeaders and Signature',
      403,
    );
  }
  const signed = signedHeaders.split(';');
  if (!signed.includes('host') || !signed.includes('x-amz-date')) {
    throw new EcrApiError(
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

function faultError(fault: EcrFault): EcrApiError {
  switch (fault.kind) {
    case 'throttling':
      return new EcrApiError('ThrottlingException', 'Rate exceeded');
    case 'limit-exceeded':
      return new EcrApiError(
        'LimitExceededException',
        'The operation did not succeed because it would have exceeded a service limit for your account.',
      );
    case 'server-error':
      return new EcrApiError(
        'ServerException',
        'These server errors are served on demand by the test server.',
        500,
      );
    case 'unavailable':
      return new EcrApiError('ServiceUnavailableException', 'Service Unavailable', 503);
  }
}

/** Starts the ECR test server on 127.0.0.1 (free port) for account 008577686731 in us-gov-west-1 by default. */
export async function startEcrServer(options: EcrServerOptions): Promise<EcrTestServer> {
  const accountId = options.accountId ?? '008577686731';
  const region = options.region ?? 'us-gov-west-1';
  const partition = partitionOf(region);
  const state: EcrState = {
    accountId,
    region,
    partition,
    registryHost: options.registry.host,
    registryPassword: options.authorizationPassword ?? (() => options.registry.password),
    registry: new RegistryApi(options.registry),
    repositories: new Map(),
    pushedAt: new Map(),
  };
  const operations = new EcrOperations(state);
  const requests: RecordedEcrRequest[] = [];
  const faults: { fault: EcrFault; remaining: number }[] = [];
  const denials: AccessDenial[] = [];

  const handle = async (
    request: IncomingMessage,
    body: Buffer,
  ): Promise<{
    status: number;
    payload: unknown;
    operation: string;
    input: Record<string, unknown>;
    scope?: SigningScope;
  }> => {
    const target = request.headers['x-amz-target'];
    const operationName =
      typeof target === 'string' && target.startsWith(TARGET_PREFIX)
        ? target.slice(TARGET_PREFIX.length)
        : String(target ?? '');
    let input: Record<string, unknown> = {};
    let scope: SigningScope | undefined;
    try {
      if (request.method !== 'POST') {
        throw new EcrApiError(
          'UnknownOperationException',
          `${request.method ?? ''} is not supported: use POST`,
        );
      }
      scope = signingScope(request.headers.authorization);
      if (scope.service !== 'ecr') {
        throw new EcrApiError(
          'InvalidSignatureException',
          "Credential should be scoped to correct service: 'ecr'.",
          403,
        );
      }
      if (scope.region !== region) {
        throw new EcrApiError(
          'InvalidSignatureException',
          `Credential should be scoped to a valid region, not '${scope.region}'.`,
          403,
        );
      }
      if (!(request.headers['content-type'] ?? '').startsWith(CONTENT_TYPE)) {
        throw new EcrApiError('SerializationException', `Content-Type must be ${CONTENT_TYPE}`);
      }
      if (!isOperation(operationName)) {
        throw new EcrApiError('UnknownOperationException', `Unknown operation ${operationName}`);
      }
      try {
        const parsed: unknown = JSON.parse(body.length === 0 ? '{}' : body.toString('utf8'));
        if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
          throw new Error('not an object');
        input = parsed as Record<string, unknown>;
      } catch {
        throw new EcrApiError(
          'SerializationException',
          'Start of structure or map found where not expected',
        );
      }
      const repository =
        typeof input.repositoryName === 'string' ? input.repositoryName : undefined;

      const due = faults.find(
        ({ fault, remaining }) =>
          remaining > 0 &&
          (fault.operation === '*' || fault.operation === operationName) &&
          (fault.repository === undefined || fault.repository === repository),
      );
      if (due !== undefined) {
        due.remaining -= 1;
        throw faultError(due.fault);
      }
      const denied = denials.some(
        (denial) =>
          denial.operation === operationName &&
          (denial.repository === undefined || denial.repository === repository),
      );
      if (denied) {
        const resource =
          repository === undefined
            ? '*'
            : `arn:${partition}:ecr:${region}:${accountId}:repository/${repository}`;
        throw new EcrApiError(
          'AccessDeniedException',
          `User: arn:${partition}:sts::${accountId}:assumed-role/gitops-release-test/GitHubActions is not ` +
            `authorized to perform: ecr:${operationName} on resource: ${resource} because no ` +
            `identity-based policy allows the ecr:${operationName} action`,
        );
      }
      const payload = await operations.run(operationName, input);
      return { status: 200, payload, operation: operationName, input, scope };
    } catch (error: unknown) {
      if (error instanceof EcrApiError) {
        return {
          status: error.status,
          payload: { __type: error.type, message: error.message },
          operation: operationName,
          input,
          ...(scope === undefined ? {} : { scope }),
        };
      }
      const message = error instanceof Error ? error.message : String(error);
      return {
        status: 500,
        payload: { __type: 'ServerException', message: `test server failure: ${message}` },
        operation: operationName,
        input,
        ...(scope === undefined ? {} : { scope }),
      };
    }
  };

  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    void readBody(request).then(async (body) => {
      const result = await handle(request, body);
      const errorType =
        typeof result.payload === 'object' && result.payload !== null && '__type' in result.payload
          ? String(result.payload.__type)
          : undefined;
      requests.push({
        operation: result.operation,
        input: result.input,
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
      const text = JSON.stringify(result.payload);
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
    registryHost: options.registry.host,
    requests,
    requestsFor: (operation) => requests.filter((recorded) => recorded.operation === operation),
    createRepository: (name, repositoryOptions = {}) =>
      operations.newRepository(name, repositoryOptions.imageTagMutability ?? 'MUTABLE'),
    denyAccess: (denial) => {
      denials.push(denial);
    },
    allowAll: () => {
      denials.length = 0;
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
