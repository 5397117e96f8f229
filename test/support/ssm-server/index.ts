/**
 * An SSM Parameter Store test server: the real `@aws-sdk/client-ssm` reaches it through
 * `AWS_ENDPOINT_URL_SSM`, with faults, access denials and KMS decrypt denials on demand.
 */
export { startSsmServer } from './server.js';
export { SSM_OPERATIONS } from './types.js';
export type {
  DecryptDenial,
  ParameterType,
  RecordedSsmRequest,
  SsmAccessDenial,
  SsmFault,
  SsmFaultKind,
  SsmOperation,
  SsmParameterRecord,
  SsmParameterSeed,
  SsmServerOptions,
  SsmTestServer,
} from './types.js';
