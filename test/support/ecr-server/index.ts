/**
 * An ECR API test server backed by a real registry: the real `@aws-sdk/client-ecr` reaches it through
 * `AWS_ENDPOINT_URL_ECR`, with faults and access denials on demand.
 */
export { startEcrServer } from './server.js';
export { ECR_OPERATIONS } from './types.js';
export type {
  AccessDenial,
  EcrFault,
  EcrFaultKind,
  EcrOperation,
  EcrRepositoryRecord,
  EcrServerOptions,
  EcrTestServer,
  RecordedEcrRequest,
  TagMutability,
} from './types.js';
