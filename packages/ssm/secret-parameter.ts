import { GetParameterCommand } from '@aws-sdk/client-ssm';
import type { Logger } from '../kit/index.js';
import { toSsmError } from './aws-errors.js';
import { createSsmClient, type SsmClient } from './client.js';
import { SsmError } from './errors.js';
import { parameterAddress, parameterNameProblem } from './parameter-name.js';

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

export interface ParameterSecretOptions extends SecretParameterRequest {
  /** Where AWS_REGION / AWS_DEFAULT_REGION are read when the name is not an ARN. */
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly maxAttempts?: number | undefined;
}

/**
 * readSecretParameter with its own client, in the region the ARN names or else the job's
 * (`AWS_REGION`, as aws-actions/configure-aws-credentials sets it): for an entry point that reads one
 * secret and is done.
 */
export async function readParameterSecret(options: ParameterSecretOptions): Promise<string> {
  const { name, input, env } = options;
  const problem = parameterNameProblem(name);
  if (problem !== undefined) {
    throw new SsmError('invalid-argument', problem, { input, parameter: name });
  }
  // Empty counts as unset, as the SDK treats it.
  const fromEnv = [env.AWS_REGION, env.AWS_DEFAULT_REGION].find(
    (value) => value !== undefined && value !== '',
  );
  const region = parameterAddress(name).region ?? fromEnv ?? '';
  if (region === '') {
    throw new SsmError(
      'invalid-argument',
      `no AWS region to read ${name} in: run aws-actions/configure-aws-credentials (it sets ` +
        "AWS_REGION) before this step, or give the parameter's ARN",
      { input, parameter: name },
    );
  }
  let client: SsmClient;
  try {
    client = createSsmClient({ region, maxAttempts: options.maxAttempts });
  } catch (error: unknown) {
    if (error instanceof SsmError) {
      throw new SsmError(error.kind, `${error.problem} (the region of ${name})`, {
        input,
        parameter: name,
      });
    }
    throw error;
  }
  try {
    return await readSecretParameter(client, options);
  } finally {
    client.sdk.destroy();
  }
}
