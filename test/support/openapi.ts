/**
 * Validates response bodies against GitHub's published OpenAPI description
 * (@octokit/openapi, api.github.com.json). The 13 MB spec is read once per test file, on first
 * use, and only the schemas asked for are compiled: compiling all 969 takes seconds.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Ajv, type ValidateFunction } from 'ajv';
import formatsPlugin from 'ajv-formats';

// NodeNext sees ajv-formats' CommonJS `exports.default`, not a callable default export.
const addFormats = formatsPlugin.default;

const SPEC_ID = 'api.github.com';

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The spec marks schemas `nullable: true` next to allOf/anyOf/oneOf (or enums without null),
 * which ajv rejects or mis-validates; rewrite those as `anyOf: [schema, {type: 'null'}]`.
 */
function fixNullable(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(fixNullable);
  if (!isObject(node)) return node;
  const fixed: JsonObject = Object.fromEntries(
    Object.entries(node).map(([key, value]) => [key, fixNullable(value)]),
  );
  if (fixed.nullable !== true) return fixed;
  if (Array.isArray(fixed.enum)) {
    const values: unknown[] = fixed.enum;
    if (!values.includes(null)) fixed.enum = [...values, null];
  }
  if ('type' in fixed) return fixed;
  const { description, ...rest } = fixed;
  delete rest.nullable;
  return Object.keys(rest).length > 0 ? { description, anyOf: [rest, { type: 'null' }] } : {};
}

/** Points local `#/components/...` refs of an inline schema at the registered spec. */
function qualifyRefs(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(qualifyRefs);
  if (!isObject(node)) return node;
  return Object.fromEntries(
    Object.entries(node).map(([key, value]) => [
      key,
      key === '$ref' && typeof value === 'string' && value.startsWith('#/')
        ? `${SPEC_ID}${value}`
        : qualifyRefs(value),
    ]),
  );
}

interface LoadedSpec {
  spec: JsonObject;
  ajv: Ajv;
}

let loaded: LoadedSpec | undefined;

function load(): LoadedSpec {
  if (loaded !== undefined) return loaded;
  const specPath = createRequire(import.meta.url).resolve(
    '@octokit/openapi/generated/api.github.com.json',
  );
  const spec = JSON.parse(readFileSync(specPath, 'utf8')) as JsonObject;
  const components = isObject(spec.components) ? spec.components : {};
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  // Registered, not compiled: ajv compiles a component only when a validator refers to it.
  // Checking the 969 schemas against the meta-schema would add ~0.2 s for nothing.
  const validateSchema = false;
  ajv.addSchema(
    { $id: SPEC_ID, components: { schemas: fixNullable(components.schemas) } },
    undefined,
    undefined,
    validateSchema,
  );
  loaded = { spec, ajv };
  return loaded;
}

/** Follows `$ref`s such as `#/components/responses/not_found` within the spec. */
function resolve(spec: JsonObject, node: unknown): unknown {
  let current = node;
  for (let depth = 0; isObject(current) && typeof current.$ref === 'string'; depth++) {
    if (depth > 10) throw new Error(`$ref loop at ${current.$ref}`);
    let target: unknown = spec;
    for (const segment of current.$ref.replace(/^#\//, '').split('/')) {
      const key = segment.replace(/~1/g, '/').replace(/~0/g, '~');
      target = isObject(target) ? target[key] : undefined;
    }
    if (target === undefined) throw new Error(`unresolvable $ref ${current.$ref}`);
    current = target;
  }
  return current;
}

function child(node: unknown, key: string, what: string): unknown {
  const value = isObject(node) ? node[key] : undefined;
  if (value === undefined) throw new Error(`OpenAPI spec has no ${what}`);
  return value;
}

export type BodyValidator = (body: unknown) => string[];

function describeErrors(validate: ValidateFunction): BodyValidator {
  return (body) =>
    validate(body)
      ? []
      : (validate.errors ?? []).map((error) =>
          `${error.instancePath === '' ? '/' : error.instancePath} ${error.message ?? 'is invalid'}`.trim(),
        );
}

const validators = new Map<string, BodyValidator>();

/**
 * Validator for the JSON body of `status` answers to `method openApiPath`, e.g.
 * `responseValidator('GET', '/repos/{owner}/{repo}/git/ref/{ref}', 200)`. The returned function
 * gives ajv's errors as `<json pointer> <message>` strings, `[]` when the body is valid.
 */
export function responseValidator(
  method: string,
  openApiPath: string,
  status: number | string,
): BodyValidator {
  const cacheKey = `${method.toUpperCase()} ${openApiPath} ${String(status)}`;
  const cached = validators.get(cacheKey);
  if (cached !== undefined) return cached;
  const { spec, ajv } = load();
  const operation = child(
    child(spec.paths, openApiPath, `path ${openApiPath}`),
    method.toLowerCase(),
    cacheKey,
  );
  const response = resolve(
    spec,
    child(child(operation, 'responses', cacheKey), String(status), cacheKey),
  );
  const schema = child(
    child(child(response, 'content', cacheKey), 'application/json', cacheKey),
    'schema',
    cacheKey,
  );
  const validator = describeErrors(ajv.compile(qualifyRefs(fixNullable(schema)) as JsonObject));
  validators.set(cacheKey, validator);
  return validator;
}

/** Validator for a named component schema, e.g. `schemaValidator('git-ref')`. */
export function schemaValidator(name: string): BodyValidator {
  const cacheKey = `#/components/schemas/${name}`;
  const cached = validators.get(cacheKey);
  if (cached !== undefined) return cached;
  const { spec, ajv } = load();
  child(child(spec.components, 'schemas', 'components.schemas'), name, `schema ${name}`);
  const validator = describeErrors(ajv.compile({ $ref: `${SPEC_ID}${cacheKey}` }));
  validators.set(cacheKey, validator);
  return validator;
}
