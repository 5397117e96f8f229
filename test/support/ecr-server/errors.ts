/**
 * ECR's error wire form (AWS JSON 1.1): HTTP 400 (403 for authentication, 5xx for service faults)
 * with `{"__type": "<Name>", "message": "..."}`. Messages follow what ECR says.
 */
export class EcrApiError extends Error {
  readonly type: string;
  readonly status: number;

  constructor(type: string, message: string, status = 400) {
    super(message);
    this.type = type;
    this.status = status;
  }
}

export function invalidParameter(message: string): EcrApiError {
  return new EcrApiError('InvalidParameterException', message);
}

export function repositoryNotFound(name: string, registryId: string): EcrApiError {
  return new EcrApiError(
    'RepositoryNotFoundException',
    `The repository with name '${name}' does not exist in the registry with id '${registryId}'`,
  );
}

export function imageNotFound(
  id: { imageDigest?: string | undefined; imageTag?: string | undefined },
  repository: string,
  registryId: string,
): EcrApiError {
  return new EcrApiError(
    'ImageNotFoundException',
    `The image with imageId {imageDigest:'${id.imageDigest ?? 'null'}', imageTag:'${id.imageTag ?? 'null'}'} ` +
      `does not exist within the repository with name '${repository}' in the registry with id '${registryId}'`,
  );
}
