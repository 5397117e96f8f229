import { InputError } from '../kit/index.js';
import { EcrError } from './errors.js';
import { accountIdProblem, parseEcrImageUri, regionProblem } from './registry.js';

/** Which ECR registry an action talks to: its account (undefined = the credentials' own) and region. */
export interface EcrRegistryTarget {
  readonly registryId: string | undefined;
  readonly region: string;
}

export interface EcrRegistryInputs {
  /** The `registry` input: a 12-digit account id, an ECR registry host, or empty. */
  readonly registry: string;
  /** The `region` input, or empty. */
  readonly region: string;
  /** A registry host found elsewhere (e.g. in an `image` input), used when `registry` is empty. */
  readonly hostHint?: string | undefined;
}

/**
 * Resolves the registry and region inputs shared by the actions, in the order a user expects: the
 * inputs, then the region inside a registry host, then AWS_REGION / AWS_DEFAULT_REGION.
 */
export function resolveEcrRegistry(
  inputs: EcrRegistryInputs,
  env: NodeJS.ProcessEnv,
): EcrRegistryTarget {
  const registry = inputs.registry.trim();
  let registryId: string | undefined;
  let hostRegion: string | undefined;
  const host = registry === '' ? inputs.hostHint : registry;
  if (/^[0-9]+$/.test(registry)) {
    const problem = accountIdProblem(registry);
    if (problem) throw new InputError('registry', problem);
    registryId = registry;
  } else if (host !== undefined && host !== '') {
    try {
      const parsed = parseEcrImageUri(`${host}/image`);
      registryId = parsed.accountId;
      hostRegion = parsed.region;
    } catch (error) {
      if (!(error instanceof EcrError)) throw error;
      throw new InputError(
        registry === '' ? 'image' : 'registry',
        `"${host}" is neither an account id nor an ECR registry host like 008577686731.dkr.ecr.us-gov-west-1.amazonaws.com`,
      );
    }
  }
  // Empty inputs and variables count as unset, as the runner passes every input as a string.
  const region =
    [inputs.region.trim(), hostRegion, env.AWS_REGION, env.AWS_DEFAULT_REGION].find(
      (candidate) => candidate !== undefined && candidate !== '',
    ) ?? '';
  if (region === '') {
    throw new InputError('region', 'is required to reach ECR: set it or AWS_REGION');
  }
  const problem = regionProblem(region);
  if (problem) throw new InputError('region', problem);
  if (hostRegion !== undefined && hostRegion !== region) {
    throw new InputError(
      'region',
      `${region} differs from the registry host's region ${hostRegion}`,
    );
  }
  return { registryId, region };
}
