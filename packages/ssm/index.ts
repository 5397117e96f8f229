/**
 * Parameter Store through `@aws-sdk/client-ssm`: one client factory for every SSM read, secrets read
 * with decryption and masked at once, and failures as one line naming the parameter and the IAM
 * action to grant.
 */
export { createSsmClient, DEFAULT_MAX_ATTEMPTS } from './client.js';
export type { SsmClient, SsmClientOptions } from './client.js';
export { SsmError } from './errors.js';
export type { SsmErrorKind, SsmErrorOptions } from './errors.js';
export { toSsmError } from './aws-errors.js';
export type { SsmCallContext } from './aws-errors.js';
export { parameterAddress, parameterNameProblem } from './parameter-name.js';
export type { ParameterAddress } from './parameter-name.js';
export { readParameterSecret, readSecretParameter } from './secret-parameter.js';
export type { ParameterSecretOptions, SecretParameterRequest } from './secret-parameter.js';
export { readTokenSource, tokenSourceOf } from './token-source.js';
export type { TokenSource } from './token-source.js';
