export type { Logger, StepHeading } from './logger.js';
export { silentLogger, recordingLogger, untrustedOutput } from './logger.js';
export type { RecordedLog } from './logger.js';
export { GitOpsError, InputError, cliFailureLine, errorMessage, failureLine } from './errors.js';
export {
  nonBlank,
  parseBooleanInput,
  parseListInput,
  parsePositiveIntegerInput,
  parseRepositoryInput,
  parseShaInput,
  requireInput,
} from './inputs.js';
export type { RepositoryRef } from './inputs.js';
export { markdownTable, escapeMarkdownCell } from './summary.js';
