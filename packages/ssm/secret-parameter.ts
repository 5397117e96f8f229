import { GetParameterCommand } from '@aws-sdk/client-ssm';
import type { Logger } from '../kit/index.js';
import { toSsmError } from './aws-errors.js';
import type { SsmClient } from './client.js';
import { SsmError } from './errors.js';
import { parameterNameProblem } from './parameter-name.js';

export interface SecretParameterRequest {
  /** The parameter's name or ARN. */
  readonly name: string;
  /** The input that named it, so every error starts with it, e.g. `token-parameter`. */
  readonly input?: string | undefined;
  /** Called with the value (and its trimmed form) before anything else sees it: core.setSecret. */
  readonly maskSecret: (secret: string) => void;
  readonly logger: Logger;
}

/**
 * A secret's value from Parameter Store: `GetParameter` with decryption. The value is handed to
 * `maskSecret` the instant it exists, before any check that could report on it. Only a SecureString is
 * accepted: a `String` or `StringList` holding a secret is stored in plain text for anyone with
 * `ssm:GetParameter` (no `kms:Decrypt` needed) and is refused with how to fix it. Surrounding
 * whitespace (a value put from a file ends in a newline) is trimmed; an empty value is refused.
 * Errors are SsmErrors naming the parameter and, for a denial, the IAM action to grant.
 */
export async function readSecretParameter(
  client: SsmClient,
  request: SecretParameterRequest,
): Promise<string> {
  const { name, input } = request;
  const problem = parameterNameProblem(name);
  if (problem !== undefined) {
    throw new SsmError('invalid-argument', problem, { input, parameter: name });
  }
  const context = {
    operation: 'GetParameter',
    region: client.region,
    parameter: name,
    input,
    withDecryption: true,
  };
  let output;
  try {
    output = await client.sdk.send(new GetParameterCommand({ Name: name, WithDecryption: true }));
  } catch (error: unknown) {
    throw toSsmError(error, context);
  }
  const parameter = output.Parameter;
  const raw = parameter?.Value;
  if (raw !== undefined) {
    request.maskSecret(raw);
    const trimmed = raw.trim();
    if (trimmed !== raw && trimmed !== '') request.maskSecret(trimmed);
  }
  if (parameter === undefined || raw === undefined) {
    throw new SsmError('service', `Parameter Store returned no value for parameter ${name}`, {
      input,
      parameter: name,
      operation: 'GetParameter',
    });
  }
  if (parameter.Type !== 'SecureString') {
    throw new SsmError(
      'wrong-type',
      `parameter ${name} is a ${parameter.Type ?? 'parameter of unknown type'}, not a SecureString: a ` +
        'secret in a String is readable without kms:Decrypt; store it again as a SecureString ' +
        '(aws ssm put-parameter --type SecureString --overwrite)',
      { input, parameter: name, operation: 'GetParameter' },
    );
  }
  const value = raw.trim();
  if (value === '') {
    throw new SsmError('empty-value', `parameter ${name} is empty: store the token in it`, {
      input,
      parameter: name,
      operation: 'GetParameter',
    });
  }
  const attempts = output.$metadata.attempts ?? 1;
  request.logger.info(
    `Read parameter ${name} (SecureString, version ${String(parameter.Version ?? '?')})` +
      (attempts > 1 ? ` after ${String(attempts)} attempts` : ''),
  );
  return value;
}
