export { ManifestError, NotYamlError } from './errors.js';
export {
  formatImageName,
  formatReference,
  imageMatches,
  isValidDigest,
  isValidDockerTag,
  parseImageName,
  parseImageReference,
} from './reference.js';
export type { ImageName, ImageReference } from './reference.js';
export { formatKeyPath, parseSetEntry, renderTemplate } from './set-entry.js';
export type { PathSegment, PlaceholderValues, SetEntry } from './set-entry.js';
export { MAX_EXPANDED_NODES, rewriteYaml } from './rewrite.js';
export type { Reference, ReferenceKind, RewriteOptions, RewriteResult } from './rewrite.js';
export type { ValuesOverride } from './plan.js';
export { applyEdits, unifiedDiff } from './diff.js';
export type { TextEdit } from './diff.js';
export { DEFAULT_FILE_PATTERNS } from './files.js';
export {
  guardDowngrade,
  parseManifestEdit,
  planManifestEdit,
  prepareManifestEdit,
  reapplyManifestEdit,
} from './edit.js';
export type {
  FileResult,
  ManifestChange,
  ManifestEdit,
  ManifestEditPlan,
  ManifestSource,
  OverrideRecord,
  PreparedEdit,
  SkippedFile,
} from './edit.js';
export { MAX_MANIFEST_BYTES, updateManifests } from './update.js';
export type { UpdateManifestsRequest, UpdateManifestsResult } from './update.js';
