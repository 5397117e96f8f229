import { GitOpsError } from '../kit/errors.js';

/**
 * A problem with the request or the manifests, in one line: what, where (file:line), how to fix.
 * `input` names the request field at fault (`image`, `tag`, `digest`, `set`, `files`, `root`,
 * `allow-downgrade`, `downgrade-reason`) so the action can map it to its own input.
 */
export class ManifestError extends GitOpsError {
  override name = 'ManifestError';
}

/** A file that is not plain YAML (a Helm template, broken YAML, not UTF-8): skipped when a glob found it. */
export class NotYamlError extends ManifestError {
  override name = 'NotYamlError';
  readonly file: string;
  readonly line: number | undefined;
  readonly reason: string;

  constructor(
    file: string,
    reason: string,
    line?: number,
    hint = "fix the file or leave it out of 'files'",
  ) {
    super(`${file}${line === undefined ? '' : `:${String(line)}`}: ${reason}; ${hint}`);
    this.file = file;
    this.line = line;
    this.reason = reason;
  }
}
