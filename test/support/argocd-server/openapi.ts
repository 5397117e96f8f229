/**
 * Validates the local Argo CD server's answers against Argo CD's own swagger.json
 * (test/fixtures/argocd, see its README for the source): `v1alpha1Application` for applications,
 * `runtimeError` for refusals.
 */
import { readFileSync } from 'node:fs';
import { Ajv, type ValidateFunction } from 'ajv';
import formatsPlugin from 'ajv-formats';

const addFormats = formatsPlugin.default;
const SPEC_ID = 'argocd-swagger';

let ajv: Ajv | undefined;

function load(): Ajv {
  if (ajv !== undefined) return ajv;
  const spec = JSON.parse(
    readFileSync(new URL('../../fixtures/argocd/swagger.json', import.meta.url), 'utf8'),
  ) as { definitions: Record<string, unknown> };
  ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  // Swagger 2.0 formats ajv-formats does not know; Argo CD's gateway sends them as strings.
  for (const format of ['int64', 'int32', 'byte', 'uint64']) {
    if (!ajv.formats[format]) ajv.addFormat(format, true);
  }
  ajv.addSchema({ $id: SPEC_ID, definitions: spec.definitions }, undefined, undefined, false);
  return ajv;
}

function errorsOf(validate: ValidateFunction, body: unknown): string[] {
  return validate(body)
    ? []
    : (validate.errors ?? []).map(
        (error) => `${error.instancePath || '/'} ${error.message ?? 'is invalid'}`,
      );
}

/** ajv's errors for `body` against the named definition, `[]` when valid. */
export function argoSchemaErrors(definition: string, body: unknown): string[] {
  const validator = load().getSchema(`${SPEC_ID}#/definitions/${definition}`);
  if (validator === undefined) throw new Error(`swagger.json has no definition ${definition}`);
  return errorsOf(validator, body);
}
