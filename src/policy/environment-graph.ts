import type { Environment, PolicySpec } from './schema.js';

/** Environments fed directly by image pushes: those without `from`, in policy order. */
export function entryEnvironments(spec: Pick<PolicySpec, 'environments'>): Environment[] {
  return spec.environments.filter((env) => env.from === undefined);
}

/** Environments that promote from `envName` (whose `from` is it), in policy order. */
export function downstreamOf(spec: Pick<PolicySpec, 'environments'>, envName: string): Environment[] {
  return spec.environments.filter((env) => env.from === envName);
}

/** The environment called `envName`, or undefined. */
export function findEnvironment(
  spec: Pick<PolicySpec, 'environments'>,
  envName: string,
): Environment | undefined {
  return spec.environments.find((env) => env.name === envName);
}
