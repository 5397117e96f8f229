export {
  checkParameters,
  missingLine,
  MissingParametersError,
  NAMES_PER_REQUEST,
  PARAMETER_CHECK_MODES,
} from './check.js';
export type {
  MissingParameter,
  ParameterCheckMode,
  ParameterCheckRequest,
  ParameterCheckResult,
  ParameterLookup,
} from './check.js';
export { findParameterReferences, MAX_SCANNED_CHARACTERS, keyNameProblem } from './references.js';
export type {
  ManifestText,
  ParameterReference,
  ParameterScan,
  UncheckedReference,
} from './references.js';
export {
  createParameterLookup,
  DESCRIBE_ACTION,
  describeParametersLookup,
  parameterLookupError,
} from './ssm-lookup.js';
export type { ParameterLookupOptions } from './ssm-lookup.js';
