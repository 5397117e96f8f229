export type { Logger } from './logger.js';
export { silentLogger, recordingLogger } from './logger.js';
export type { RecordedLog } from './logger.js';
export { InputError, errorMessage, failureLine } from './errors.js';
export {
  parseBooleanInput,
  parseListInput,
  parsePositiveIntegerInput,
  parseRepositoryInput,
  parseShaInput,
  requireInput,
} from './inputs.js';
export type { RepositoryRef } from './inputs.js';
export { markdownTable, escapeMarkdownCell } from './summary.js';
