/**
 * POST /graphql: a small GraphQL executor for the slice of GitHub's schema the suite uses:
 * `enablePullRequestAutoMerge` / `disablePullRequestAutoMerge`, and reading a pull request
 * (`repository(owner, name) { pullRequest(number) }` or `node(id)`) with its `autoMergeRequest`.
 * Queries are parsed for real (aliases, variables, inline fragments, literals), so a client
 * sending a field GitHub does not have gets GitHub's `undefinedField` error, not silence.
 */
import { isoSeconds } from './model.js';
import { forbidden, isAllowed, type AcceptedPermissions } from './permissions.js';
import { AUTHOR_LOGIN, pullIdOf, pullNodeId, type PullRecord } from './pull-store.js';
import type { GitRepository } from './repository.js';
import type { MergeMethod } from './types.js';

// ---- parsing ----------------------------------------------------------------------------------

type Value =
  | { kind: 'variable'; name: string }
  | { kind: 'literal'; value: unknown }
  | { kind: 'list'; values: Value[] }
  | { kind: 'object'; fields: Map<string, Value> };

interface FieldNode {
  kind: 'field';
  alias: string | undefined;
  name: string;
  args: Map<string, Value>;
  selections: Selection[] | undefined;
  line: number;
  column: number;
}

interface FragmentNode {
  kind: 'fragment';
  typeCondition: string | undefined;
  selections: Selection[];
}

type Selection = FieldNode | FragmentNode;

interface Operation {
  type: 'query' | 'mutation';
  selections: Selection[];
}

interface Token {
  kind: 'punct' | 'name' | 'string' | 'number' | 'end';
  text: string;
  value: unknown;
  line: number;
  column: number;
}

export class GraphqlSyntaxError extends Error {
  constructor(
    message: string,
    readonly line: number,
    readonly column: number,
  ) {
    super(message);
    this.name = 'GraphqlSyntaxError';
  }
}

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let index = 0;
  let line = 1;
  let lineStart = 0;
  const at = () => ({ line, column: index - lineStart + 1 });
  while (index < source.length) {
    const char = source.charAt(index);
    if (char === '\n') {
      index++;
      line++;
      lineStart = index;
    } else if (/[\s,\ufeff]/.test(char)) {
      index++;
    } else if (char === '#') {
      while (index < source.length && source.charAt(index) !== '\n') index++;
    } else if (source.startsWith('...', index)) {
      tokens.push({ kind: 'punct', text: '...', value: undefined, ...at() });
      index += 3;
    } else if ('{}()[]:!$=@|&'.includes(char)) {
      tokens.push({ kind: 'punct', text: char, value: undefined, ...at() });
      index++;
    } else if (/[_A-Za-z]/.test(char)) {
      const match = /^[_A-Za-z][_0-9A-Za-z]*/.exec(source.slice(index))?.[0] ?? char;
      tokens.push({ kind: 'name', text: match, value: match, ...at() });
      index += match.length;
    } else if (/[-0-9]/.test(char)) {
      const match = /^-?\d+(\.\d+)?([eE][+-]?\d+)?/.exec(source.slice(index))?.[0];
      if (match === undefined) throw new GraphqlSyntaxError(`Unexpected "${char}"`, line, 1);
      tokens.push({ kind: 'number', text: match, value: Number(match), ...at() });
      index += match.length;
    } else if (char === '"') {
      const position = at();
      const block = source.startsWith('"""', index);
      const end = block ? source.indexOf('"""', index + 3) : findStringEnd(source, index + 1);
      if (end === -1) throw new GraphqlSyntaxError('Unterminated string', line, position.column);
      const raw = source.slice(index, block ? end + 3 : end + 1);
      const value: unknown = block ? raw.slice(3, -3).trim() : JSON.parse(raw);
      tokens.push({ kind: 'string', text: raw, value, ...position });
      index += raw.length;
    } else {
      throw new GraphqlSyntaxError(`Unexpected character "${char}"`, line, at().column);
    }
  }
  tokens.push({ kind: 'end', text: '<EOF>', value: undefined, ...at() });
  return tokens;
}

function findStringEnd(source: string, from: number): number {
  for (let index = from; index < source.length; index++) {
    const char = source.charAt(index);
    if (char === '\\') index++;
    else if (char === '"') return index;
    else if (char === '\n') return -1;
  }
  return -1;
}

class Parser {
  private position = 0;

  constructor(private readonly tokens: Token[]) {}

  private peek(): Token {
    return this.tokens[this.position] ?? this.tokens[this.tokens.length - 1] ?? endToken();
  }

  private next(): Token {
    const token = this.peek();
    if (token.kind !== 'end') this.position++;
    return token;
  }

  private isPunct(text: string): boolean {
    const token = this.peek();
    return token.kind === 'punct' && token.text === text;
  }

  private expectPunct(text: string): void {
    const token = this.next();
    if (token.kind !== 'punct' || token.text !== text) {
      throw new GraphqlSyntaxError(
        `Parse error on "${token.text}" (expected "${text}")`,
        token.line,
        token.column,
      );
    }
  }

  private name(): string {
    const token = this.next();
    if (token.kind !== 'name') {
      throw new GraphqlSyntaxError(`Parse error on "${token.text}"`, token.line, token.column);
    }
    return token.text;
  }

  document(): Operation {
    const operation = this.operation();
    if (this.peek().kind !== 'end') {
      const token = this.peek();
      throw new GraphqlSyntaxError(
        'Only one operation per document is supported by the test server',
        token.line,
        token.column,
      );
    }
    return operation;
  }

  private operation(): Operation {
    if (this.isPunct('{')) return { type: 'query', selections: this.selectionSet() };
    const keyword = this.name();
    if (keyword !== 'query' && keyword !== 'mutation') {
      const token = this.tokens[this.position - 1] ?? endToken();
      throw new GraphqlSyntaxError(`Parse error on "${keyword}"`, token.line, token.column);
    }
    if (this.peek().kind === 'name') this.name();
    if (this.isPunct('(')) this.variableDefinitions();
    return { type: keyword, selections: this.selectionSet() };
  }

  /** Variable types are not checked: the values arrive in `variables` anyway. */
  private variableDefinitions(): void {
    this.expectPunct('(');
    while (!this.isPunct(')')) {
      this.expectPunct('$');
      this.name();
      this.expectPunct(':');
      this.type();
      if (this.isPunct('=')) {
        this.next();
        this.value();
      }
    }
    this.expectPunct(')');
  }

  private type(): void {
    if (this.isPunct('[')) {
      this.next();
      this.type();
      this.expectPunct(']');
    } else {
      this.name();
    }
    if (this.isPunct('!')) this.next();
  }

  private selectionSet(): Selection[] {
    this.expectPunct('{');
    const selections: Selection[] = [];
    while (!this.isPunct('}')) selections.push(this.selection());
    this.expectPunct('}');
    return selections;
  }

  private selection(): Selection {
    if (this.isPunct('...')) {
      const spread = this.next();
      if (this.peek().kind === 'name' && this.peek().text === 'on') {
        this.next();
        const typeCondition = this.name();
        return { kind: 'fragment', typeCondition, selections: this.selectionSet() };
      }
      if (this.isPunct('{')) {
        return { kind: 'fragment', typeCondition: undefined, selections: this.selectionSet() };
      }
      throw new GraphqlSyntaxError(
        'Named fragments are not supported by the test server',
        spread.line,
        spread.column,
      );
    }
    const start = this.peek();
    let name = this.name();
    let alias: string | undefined;
    if (this.isPunct(':')) {
      this.next();
      alias = name;
      name = this.name();
    }
    const args = new Map<string, Value>();
    if (this.isPunct('(')) {
      this.next();
      while (!this.isPunct(')')) {
        const argName = this.name();
        this.expectPunct(':');
        args.set(argName, this.value());
      }
      this.expectPunct(')');
    }
    const selections = this.isPunct('{') ? this.selectionSet() : undefined;
    return { kind: 'field', alias, name, args, selections, line: start.line, column: start.column };
  }

  private value(): Value {
    const token = this.peek();
    if (this.isPunct('$')) {
      this.next();
      return { kind: 'variable', name: this.name() };
    }
    if (this.isPunct('[')) {
      this.next();
      const values: Value[] = [];
      while (!this.isPunct(']')) values.push(this.value());
      this.next();
      return { kind: 'list', values };
    }
    if (this.isPunct('{')) {
      this.next();
      const fields = new Map<string, Value>();
      while (!this.isPunct('}')) {
        const fieldName = this.name();
        this.expectPunct(':');
        fields.set(fieldName, this.value());
      }
      this.next();
      return { kind: 'object', fields };
    }
    this.next();
    if (token.kind === 'string' || token.kind === 'number') {
      return { kind: 'literal', value: token.value };
    }
    if (token.kind === 'name') {
      const keywords: Record<string, unknown> = { true: true, false: false, null: null };
      // Enum values arrive as their names.
      return { kind: 'literal', value: token.text in keywords ? keywords[token.text] : token.text };
    }
    throw new GraphqlSyntaxError(`Parse error on "${token.text}"`, token.line, token.column);
  }
}

function endToken(): Token {
  return { kind: 'end', text: '<EOF>', value: undefined, line: 1, column: 1 };
}

export function parseOperation(source: string): Operation {
  return new Parser(tokenize(source)).document();
}

// ---- execution --------------------------------------------------------------------------------

type Args = Record<string, unknown>;
type Resolver = (args: Args) => unknown;

/** An object of the schema: its type name and a resolver per field. */
interface GraphqlObject {
  readonly typeName: string;
  readonly fields: Readonly<Record<string, Resolver>>;
}

interface GraphqlErrorJson {
  message: string;
  type?: string;
  path?: (string | number)[];
  locations?: { line: number; column: number }[];
  extensions?: Record<string, unknown>;
}

/** A resolver's failure: the field becomes null and the error is listed, as GitHub does. */
class FieldError extends Error {
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(message);
    this.name = 'FieldError';
  }
}

/** A query that asks for something the schema does not have: no data at all, like GitHub. */
class ValidationError extends Error {
  constructor(readonly json: GraphqlErrorJson) {
    super(json.message);
    this.name = 'ValidationError';
  }
}

function resolveValue(value: Value, variables: Args): unknown {
  switch (value.kind) {
    case 'variable':
      return variables[value.name] ?? null;
    case 'literal':
      return value.value;
    case 'list':
      return value.values.map((item) => resolveValue(item, variables));
    case 'object':
      return Object.fromEntries(
        [...value.fields].map(([name, field]) => [name, resolveValue(field, variables)]),
      );
  }
}

function isGraphqlObject(value: unknown): value is GraphqlObject {
  return typeof value === 'object' && value !== null && 'typeName' in value && 'fields' in value;
}

class Execution {
  readonly errors: GraphqlErrorJson[] = [];

  constructor(private readonly variables: Args) {}

  /** Fields of `selections` that apply to `object`, inline fragments flattened. */
  private fieldsFor(object: GraphqlObject, selections: readonly Selection[]): FieldNode[] {
    return selections.flatMap((selection) => {
      if (selection.kind === 'field') return [selection];
      const applies =
        selection.typeCondition === undefined || selection.typeCondition === object.typeName;
      return applies ? this.fieldsFor(object, selection.selections) : [];
    });
  }

  async selectionSet(
    object: GraphqlObject,
    selections: readonly Selection[],
    path: (string | number)[],
  ): Promise<Record<string, unknown>> {
    const result: Record<string, unknown> = {};
    for (const field of this.fieldsFor(object, selections)) {
      const key = field.alias ?? field.name;
      if (field.name === '__typename') {
        result[key] = object.typeName;
        continue;
      }
      const resolver = object.fields[field.name];
      if (resolver === undefined) {
        throw new ValidationError({
          message: `Field '${field.name}' doesn't exist on type '${object.typeName}'`,
          locations: [{ line: field.line, column: field.column }],
          path: [...path, key],
          extensions: {
            code: 'undefinedField',
            typeName: object.typeName,
            fieldName: field.name,
          },
        });
      }
      const args = Object.fromEntries(
        [...field.args].map(([name, value]) => [name, resolveValue(value, this.variables)]),
      );
      try {
        result[key] = await this.complete(await resolver(args), field, [...path, key]);
      } catch (error: unknown) {
        if (!(error instanceof FieldError)) throw error;
        result[key] = null;
        this.errors.push({
          type: error.type,
          path: [...path, key],
          locations: [{ line: field.line, column: field.column }],
          message: error.message,
        });
      }
    }
    return result;
  }

  private async complete(
    value: unknown,
    field: FieldNode,
    path: (string | number)[],
  ): Promise<unknown> {
    if (value === null || value === undefined) return null;
    if (Array.isArray(value)) {
      return Promise.all(
        value.map((item: unknown, index) => this.complete(item, field, [...path, index])),
      );
    }
    if (!isGraphqlObject(value)) return value;
    if (field.selections === undefined) {
      throw new ValidationError({
        message: `Field must have selections (field '${field.name}' returns ${value.typeName} but has no selections. Did you mean '${field.name} { ... }'?)`,
        locations: [{ line: field.line, column: field.column }],
        path,
        extensions: { code: 'selectionMismatch', nodeName: `field '${field.name}'` },
      });
    }
    return this.selectionSet(value, field.selections, path);
  }
}

// ---- GitHub's schema, the slice the suite uses ----------------------------------------------

export interface GraphqlContext {
  token: string | undefined;
  repository(owner: string, name: string): GitRepository | undefined;
  /** The repository and record of a pull request by database id. */
  pullById(id: number): { repo: GitRepository; pull: PullRecord } | undefined;
  baseUrl: string;
}

const MERGE_METHODS: Record<string, MergeMethod> = {
  MERGE: 'merge',
  SQUASH: 'squash',
  REBASE: 'rebase',
};

const READ_PULLS: AcceptedPermissions = [{ pull_requests: 'read' }];
const ENABLE_AUTO_MERGE: AcceptedPermissions = [{ contents: 'write', pull_requests: 'write' }];

function requireAccess(
  context: GraphqlContext,
  repo: GitRepository,
  accepted: AcceptedPermissions,
) {
  const granted =
    context.token === undefined ? undefined : repo.tokenPermissions.get(context.token);
  if (granted !== undefined && !isAllowed(granted, accepted)) {
    throw new FieldError('FORBIDDEN', forbidden(accepted).message);
  }
}

function stringArg(args: Args, name: string): string {
  const value = args[name];
  if (typeof value !== 'string') throw new FieldError('INVALID', `Argument '${name}' is required`);
  return value;
}

function actor(login: string): GraphqlObject {
  return {
    typeName: login === AUTHOR_LOGIN ? 'Bot' : 'User',
    fields: { login: () => login },
  };
}

function pullObject(context: GraphqlContext, repo: GitRepository, pull: PullRecord) {
  const autoMerge = pull.autoMerge;
  const fields: Record<string, Resolver> = {
    id: () => pullNodeId(pull.id),
    databaseId: () => pull.id,
    number: () => pull.number,
    title: () => pull.title,
    body: () => pull.body ?? '',
    state: () => (pull.merged ? 'MERGED' : pull.state.toUpperCase()),
    isDraft: () => pull.draft,
    merged: () => pull.merged,
    url: () => `${context.baseUrl}/${repo.fullName}/pull/${String(pull.number)}`,
    headRefName: () => pull.head,
    baseRefName: () => pull.base,
    autoMergeRequest: () =>
      autoMerge === null
        ? null
        : {
            typeName: 'AutoMergeRequest',
            fields: {
              mergeMethod: () => autoMerge.mergeMethod.toUpperCase(),
              enabledAt: () => autoMerge.enabledAt,
              enabledBy: () => actor(autoMerge.enabledBy),
              commitHeadline: () => null,
              commitBody: () => null,
            },
          },
  };
  return { typeName: 'PullRequest', fields } satisfies GraphqlObject;
}

function lookupPull(context: GraphqlContext, nodeId: string) {
  const id = pullIdOf(nodeId);
  const found = id === undefined ? undefined : context.pullById(id);
  if (found === undefined) {
    throw new FieldError(
      'NOT_FOUND',
      `Could not resolve to a node with the global id of '${nodeId}'.`,
    );
  }
  return found;
}

function queryRoot(context: GraphqlContext): GraphqlObject {
  return {
    typeName: 'Query',
    fields: {
      repository: (args) => {
        const owner = stringArg(args, 'owner');
        const name = stringArg(args, 'name');
        const repo = context.repository(owner, name);
        if (repo === undefined) {
          throw new FieldError(
            'NOT_FOUND',
            `Could not resolve to a Repository with the name '${owner}/${name}'.`,
          );
        }
        return {
          typeName: 'Repository',
          fields: {
            id: () => Buffer.from(`Repository:${String(repo.id)}`).toString('base64'),
            name: () => repo.name,
            nameWithOwner: () => repo.fullName,
            pullRequest: (pullArgs: Args) => {
              requireAccess(context, repo, READ_PULLS);
              const number = Number(pullArgs.number);
              const pull = repo.pullStore.records.find((record) => record.number === number);
              if (pull === undefined) {
                throw new FieldError(
                  'NOT_FOUND',
                  `Could not resolve to a PullRequest with the number of ${String(number)}.`,
                );
              }
              return pullObject(context, repo, pull);
            },
          },
        } satisfies GraphqlObject;
      },
      node: (args) => {
        const { repo, pull } = lookupPull(context, stringArg(args, 'id'));
        requireAccess(context, repo, READ_PULLS);
        return pullObject(context, repo, pull);
      },
    },
  };
}

function inputOf(args: Args): Args {
  const input = args.input;
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new FieldError('INVALID', "Argument 'input' on Field is required");
  }
  return input as Args;
}

function mutationRoot(context: GraphqlContext): GraphqlObject {
  const payload = (input: Args, repo: GitRepository, pull: PullRecord): GraphqlObject => ({
    typeName: 'Payload',
    fields: {
      clientMutationId: () => input.clientMutationId ?? null,
      pullRequest: () => pullObject(context, repo, pull),
      actor: () => actor(AUTHOR_LOGIN),
    },
  });
  return {
    typeName: 'Mutation',
    fields: {
      enablePullRequestAutoMerge: async (args) => {
        const input = inputOf(args);
        const { repo, pull } = lookupPull(context, stringArg(input, 'pullRequestId'));
        requireAccess(context, repo, ENABLE_AUTO_MERGE);
        return repo.exclusive(() => {
          // GitHub prefixes these reasons with the record's name.
          if (!repo.pullStore.allowAutoMerge) {
            throw new FieldError(
              'UNPROCESSABLE',
              'Pull request Auto merge is not allowed for this repository',
            );
          }
          if (pull.state !== 'open') {
            throw new FieldError('UNPROCESSABLE', 'Pull request Pull request is closed');
          }
          if (pull.draft) {
            throw new FieldError('UNPROCESSABLE', 'Pull request Pull request is in draft state');
          }
          const requested = input.mergeMethod ?? 'MERGE';
          const method = typeof requested === 'string' ? MERGE_METHODS[requested] : undefined;
          if (method === undefined) {
            throw new FieldError(
              'INVALID',
              `Argument 'mergeMethod' has an invalid value (${JSON.stringify(requested)})`,
            );
          }
          pull.autoMerge = {
            mergeMethod: method,
            enabledBy: AUTHOR_LOGIN,
            enabledAt: isoSeconds(),
          };
          repo.pullStore.touch(pull);
          return Promise.resolve(payload(input, repo, pull));
        });
      },
      disablePullRequestAutoMerge: async (args) => {
        const input = inputOf(args);
        const { repo, pull } = lookupPull(context, stringArg(input, 'pullRequestId'));
        requireAccess(context, repo, ENABLE_AUTO_MERGE);
        return repo.exclusive(() => {
          pull.autoMerge = null;
          repo.pullStore.touch(pull);
          return Promise.resolve(payload(input, repo, pull));
        });
      },
    },
  };
}

/** Answers a GraphQL request body `{query, variables}` with GitHub's `{data, errors}` shape. */
export async function executeGraphql(
  body: Record<string, unknown>,
  context: GraphqlContext,
): Promise<Record<string, unknown>> {
  if (typeof body.query !== 'string') {
    return { errors: [{ message: 'A query attribute must be specified and must be a string.' }] };
  }
  const variables =
    typeof body.variables === 'object' && body.variables !== null && !Array.isArray(body.variables)
      ? (body.variables as Args)
      : {};
  let operation: Operation;
  try {
    operation = parseOperation(body.query);
  } catch (error: unknown) {
    if (!(error instanceof GraphqlSyntaxError)) throw error;
    return {
      errors: [{ message: error.message, locations: [{ line: error.line, column: error.column }] }],
    };
  }
  const execution = new Execution(variables);
  const root = operation.type === 'mutation' ? mutationRoot(context) : queryRoot(context);
  try {
    const data = await execution.selectionSet(root, operation.selections, []);
    return execution.errors.length === 0 ? { data } : { data, errors: execution.errors };
  } catch (error: unknown) {
    if (error instanceof ValidationError) return { errors: [error.json] };
    throw error;
  }
}
