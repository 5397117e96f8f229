/**
 * The Parameter Store operations over an in-memory store, with KMS decryption as a separate check so a
 * test can deny `kms:Decrypt` on one key while `ssm:GetParameter` stays allowed (as IAM can).
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { SsmApiError, validationError } from './errors.js';
import type {
  DecryptDenial,
  ParameterType,
  SsmOperation,
  SsmParameterRecord,
  SsmParameterSeed,
} from './types.js';

type Input = Readonly<Record<string, unknown>>;

export interface SsmState {
  readonly accountId: string;
  readonly region: string;
  readonly partition: string;
  readonly callerArn: string;
  readonly parameters: Map<string, SsmParameterRecord>;
  /** What a SecureString's Value is without decryption: opaque, never derived from the value. */
  readonly ciphertexts: Map<string, string>;
  readonly decryptDenials: DecryptDenial[];
  readonly describePageLimit?: number | undefined;
}

export const DEFAULT_KEY_ID = 'alias/aws/ssm';
const NAME_PATTERN = /^[a-zA-Z0-9_.\-/]+$/;
const TYPES: readonly string[] = ['String', 'StringList', 'SecureString'];
/** DescribeParameters' page when MaxResults is absent (AWS doesn't document it; small, so a caller
 * that ignores NextToken is caught by a test with a few parameters). */
const DEFAULT_DESCRIBE_PAGE = 10;

const epochSeconds = (date: Date): number => date.getTime() / 1000;

function optionalString(input: Input, member: string): string | undefined {
  const value = input[member];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') {
    throw new SsmApiError('SerializationException', `Expected a string at '${member}'`);
  }
  return value;
}

function requiredName(input: Input): string {
  const name = optionalString(input, 'Name');
  if (name === undefined) {
    throw validationError(
      "Value null at 'name' failed to satisfy constraint: Member must not be null",
    );
  }
  if (name.length < 1 || name.length > 2048) {
    throw validationError(
      `Value '${name}' at 'name' failed to satisfy constraint: Member must have length less than or equal to 2048`,
    );
  }
  return name;
}

function optionalBoolean(input: Input, member: string): boolean | undefined {
  const value = input[member];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') {
    throw new SsmApiError('SerializationException', `Expected a boolean at '${member}'`);
  }
  return value;
}

export class SsmOperations {
  private readonly keyIds = new Map<string, string>();

  constructor(private readonly state: SsmState) {}

  parameterArn(name: string): string {
    const { partition, region, accountId } = this.state;
    // A hierarchical name's leading slash is not repeated after `parameter`.
    return `arn:${partition}:ssm:${region}:${accountId}:parameter/${name.replace(/^\//, '')}`;
  }

  /** The key ARN KMS names in its errors: aliases resolve to a stable key id of their own. */
  keyArn(keyId: string): string {
    if (keyId.startsWith('arn:')) return keyId;
    const { partition, region, accountId } = this.state;
    let id = keyId;
    if (keyId.startsWith('alias/')) {
      id = this.keyIds.get(keyId) ?? randomUUID();
      this.keyIds.set(keyId, id);
    }
    return `arn:${partition}:kms:${region}:${accountId}:key/${id}`;
  }

  /** A name or this account's parameter ARN, as SSM accepts either, to the stored name. */
  private nameOf(nameOrArn: string): string {
    const prefix = `arn:${this.state.partition}:ssm:${this.state.region}:${this.state.accountId}:parameter/`;
    if (!nameOrArn.startsWith(prefix)) return nameOrArn;
    const rest = nameOrArn.slice(prefix.length);
    return rest.includes('/') ? `/${rest}` : rest;
  }

  put(seed: SsmParameterSeed): SsmParameterRecord {
    const { name, value } = seed;
    const type: ParameterType = seed.type ?? 'SecureString';
    if (
      name.length > 2048 ||
      !NAME_PATTERN.test(name) ||
      (name.includes('/') && !name.startsWith('/'))
    ) {
      throw new Error(`putParameter: '${name}' is not a valid parameter name`);
    }
    if (!TYPES.includes(type)) throw new Error(`putParameter: unknown type ${type}`);
    const existing = this.state.parameters.get(name);
    if (existing !== undefined && seed.overwrite !== true) {
      throw new Error(
        `putParameter: ${name} exists (ParameterAlreadyExists); pass overwrite: true`,
      );
    }
    const record: SsmParameterRecord = {
      name,
      arn: this.parameterArn(name),
      type,
      value,
      keyId: type === 'SecureString' ? (seed.keyId ?? DEFAULT_KEY_ID) : undefined,
      version: (existing?.version ?? 0) + 1,
      lastModifiedDate: new Date(),
    };
    this.state.parameters.set(name, record);
    // An envelope-shaped blob: random, so nothing of the value can be read from it.
    this.state.ciphertexts.set(
      name,
      Buffer.concat([Buffer.from([1, 2, 2, 0]), randomBytes(32 + value.length)]).toString('base64'),
    );
    return record;
  }

  delete(name: string): void {
    this.state.parameters.delete(name);
    this.state.ciphertexts.delete(name);
  }

  /** KMS's answer for decrypting under the parameter's key, as SSM passes it on. */
  private decrypt(record: SsmParameterRecord): string {
    const keyId = record.keyId ?? DEFAULT_KEY_ID;
    const keyArn = this.keyArn(keyId);
    const denial = this.state.decryptDenials.find(
      (candidate) =>
        candidate.keyId === undefined ||
        candidate.keyId === keyId ||
        this.keyArn(candidate.keyId) === keyArn,
    );
    if (denial === undefined) return record.value;
    const requestId = randomUUID();
    switch (denial.kind) {
      case 'access-denied':
        throw new SsmApiError(
          'AccessDeniedException',
          `User: ${this.state.callerArn} is not authorized to perform: kms:Decrypt on resource: ${keyArn} ` +
            'because no identity-based policy allows the kms:Decrypt action (Service: AWSKMS; Status Code: 400; ' +
            `Error Code: AccessDeniedException; Request ID: ${requestId}; Proxy: null)`,
        );
      case 'disabled':
        throw new SsmApiError(
          'InvalidKeyId',
          `${keyArn} is disabled. (Service: AWSKMS; Status Code: 400; Error Code: DisabledException; ` +
            `Request ID: ${requestId}; Proxy: null)`,
        );
      case 'pending-deletion':
        throw new SsmApiError(
          'InvalidKeyId',
          `${keyArn} is pending deletion. (Service: AWSKMS; Status Code: 400; Error Code: ` +
            `KMSInvalidStateException; Request ID: ${requestId}; Proxy: null)`,
        );
    }
  }

  private parameterOutput(
    record: SsmParameterRecord,
    withDecryption: boolean,
  ): Record<string, unknown> {
    let value = record.value;
    if (record.type === 'SecureString') {
      value = withDecryption
        ? this.decrypt(record)
        : (this.state.ciphertexts.get(record.name) ?? '');
    }
    return {
      Name: record.name,
      Type: record.type,
      Value: value,
      Version: record.version,
      LastModifiedDate: epochSeconds(record.lastModifiedDate),
      ARN: record.arn,
      DataType: 'text',
    };
  }

  GetParameter(input: Input): unknown {
    const name = this.nameOf(requiredName(input));
    const withDecryption = optionalBoolean(input, 'WithDecryption') ?? false;
    const record = this.state.parameters.get(name);
    // SSM answers ParameterNotFound without a message.
    if (record === undefined) throw new SsmApiError('ParameterNotFound', undefined);
    return { Parameter: this.parameterOutput(record, withDecryption) };
  }

  GetParameters(input: Input): unknown {
    const names = input.Names;
    if (!Array.isArray(names) || names.length < 1 || names.length > 10) {
      throw validationError(
        `Value '[${Array.isArray(names) ? names.map(String).join(', ') : ''}]' at 'names' failed to satisfy ` +
          'constraint: Member must have length less than or equal to 10',
      );
    }
    const withDecryption = optionalBoolean(input, 'WithDecryption') ?? false;
    const found: Record<string, unknown>[] = [];
    const invalid: string[] = [];
    for (const requested of names) {
      if (typeof requested !== 'string')
        throw new SsmApiError('SerializationException', 'Names must be strings');
      const record = this.state.parameters.get(this.nameOf(requested));
      if (record === undefined) invalid.push(requested);
      else found.push(this.parameterOutput(record, withDecryption));
    }
    return { Parameters: found, InvalidParameters: invalid };
  }

  DescribeParameters(input: Input): unknown {
    if (input.Filters !== undefined) {
      throw new SsmApiError(
        'InvalidFilterKey',
        'The test server speaks ParameterFilters only, not Filters.',
      );
    }
    const maxResults = input.MaxResults;
    if (
      maxResults !== undefined &&
      (typeof maxResults !== 'number' ||
        !Number.isInteger(maxResults) ||
        maxResults < 1 ||
        maxResults > 50)
    ) {
      throw validationError(
        `Value '${JSON.stringify(maxResults)}' at 'maxResults' failed to satisfy constraint: Member must have value ` +
          'less than or equal to 50',
      );
    }
    const tests = this.filtersOf(input.ParameterFilters);
    const scope = createHash('sha256')
      .update(JSON.stringify(input.ParameterFilters ?? null))
      .digest('hex');
    const offset = this.offsetOf(input.NextToken, scope);
    const matching = [...this.state.parameters.values()]
      .filter((record) => tests.every((test) => test(record)))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const end =
      offset + Math.min(maxResults ?? DEFAULT_DESCRIBE_PAGE, this.state.describePageLimit ?? 50);
    const parameters = matching.slice(offset, end).map((record) => ({
      Name: record.name,
      ARN: record.arn,
      Type: record.type,
      ...(record.keyId === undefined ? {} : { KeyId: record.keyId }),
      LastModifiedDate: epochSeconds(record.lastModifiedDate),
      LastModifiedUser: this.state.callerArn,
      Version: record.version,
      Tier: 'Standard',
      Policies: [],
      DataType: 'text',
    }));
    return {
      Parameters: parameters,
      ...(end < matching.length
        ? { NextToken: Buffer.from(JSON.stringify({ scope, offset: end })).toString('base64') }
        : {}),
    };
  }

  private offsetOf(token: unknown, scope: string): number {
    if (token === undefined || token === null) return 0;
    try {
      const parsed = JSON.parse(
        Buffer.from(typeof token === 'string' ? token : '', 'base64').toString('utf8'),
      ) as {
        scope?: unknown;
        offset?: unknown;
      };
      if (parsed.scope === scope && typeof parsed.offset === 'number') return parsed.offset;
    } catch {
      // Falls through to the error below.
    }
    throw new SsmApiError('InvalidNextToken', "The specified token isn't valid.");
  }

  /** ParameterFilters as predicates: Name (Equals, BeginsWith), Type and KeyId (Equals). */
  private filtersOf(filters: unknown): ((record: SsmParameterRecord) => boolean)[] {
    if (filters === undefined || filters === null) return [];
    if (!Array.isArray(filters))
      throw new SsmApiError('SerializationException', 'ParameterFilters must be a list');
    return filters.map((filter: unknown, index) => {
      const {
        Key: key,
        Option: option,
        Values: values,
      } = (filter ?? {}) as Record<string, unknown>;
      if (!Array.isArray(values) || values.length < 1 || values.length > 50) {
        throw validationError(
          `Value at 'parameterFilters.${String(index + 1)}.member.values' failed to satisfy constraint: ` +
            'Member must have length less than or equal to 50',
        );
      }
      const wanted = values.map(String);
      const chosen = option === undefined ? 'Equals' : typeof option === 'string' ? option : '?';
      switch (key) {
        case 'Name': {
          if (chosen !== 'Equals' && chosen !== 'BeginsWith') {
            throw new SsmApiError(
              'InvalidFilterOption',
              `The filter option '${chosen}' is not valid. Valid options are Equals, BeginsWith.`,
            );
          }
          const names = wanted.map((value) => this.nameOf(value));
          return (record) =>
            chosen === 'Equals'
              ? names.includes(record.name)
              : names.some((prefix) => record.name.startsWith(prefix));
        }
        case 'Type':
        case 'KeyId': {
          if (chosen !== 'Equals') {
            throw new SsmApiError(
              'InvalidFilterOption',
              `The filter option '${chosen}' is not valid. Valid options are Equals.`,
            );
          }
          return (record) => wanted.includes((key === 'Type' ? record.type : record.keyId) ?? '');
        }
        default:
          throw new SsmApiError(
            'InvalidFilterKey',
            `The filter key '${String(key)}' is not supported by the test server (Name, Type, KeyId).`,
          );
      }
    });
  }

  run(operation: SsmOperation, input: Input): unknown {
    switch (operation) {
      case 'GetParameter':
        return this.GetParameter(input);
      case 'GetParameters':
        return this.GetParameters(input);
      case 'DescribeParameters':
        return this.DescribeParameters(input);
    }
  }
}
