/**
 * Parameter names as Parameter Store accepts them: a name (`/devops/VA_VSP_BOT_GITHUB_TOKEN`, or a
 * flat `BOT_TOKEN`) or the parameter's ARN, which also says the region.
 */
const NAME = /^[a-zA-Z0-9_.\-/]{1,2048}$/;
const ARN =
  /^arn:(aws|aws-us-gov|aws-cn|aws-iso[a-z-]*):ssm:([a-z0-9-]+):([0-9]{12}):parameter\/(.+)$/;

export interface ParameterAddress {
  /** What to send as `Name`: the name, or the ARN as given. */
  readonly name: string;
  /** The region the ARN names; undefined for a plain name. */
  readonly region: string | undefined;
}

/** Why `value` can't name a parameter, or undefined when it can. */
export function parameterNameProblem(value: string): string | undefined {
  const arn = ARN.exec(value);
  const name = arn ? `/${arn[4] ?? ''}` : value;
  if (!NAME.test(name)) {
    return `"${value}" is not a parameter name: use letters, digits and . _ - /, e.g. /devops/VA_VSP_BOT_GITHUB_TOKEN, or the parameter's ARN`;
  }
  if (!arn && name.includes('/') && !name.startsWith('/')) {
    return `"${value}" has a path but no leading /: write /${value}`;
  }
  if (name.includes('//') || name.endsWith('/')) {
    return `"${value}" has an empty path segment: write it as /folder/NAME`;
  }
  return undefined;
}

/** The address of a valid name or ARN (check parameterNameProblem first). */
export function parameterAddress(value: string): ParameterAddress {
  return { name: value, region: ARN.exec(value)?.[2] };
}
