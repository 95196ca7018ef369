/** A Kubernetes object as read from YAML. */
export interface K8sObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata?: {
    readonly name?: string;
    readonly namespace?: string;
    readonly labels?: Record<string, string>;
  };
  readonly [key: string]: unknown;
}

interface Validatable {
  validate(): void;
}
type ModelClass = new (data: unknown) => Validatable;

/** Where the schema model of each API group lives: the core groups in kubernetes-models, CRDs in their packages. */
function modulePath(apiVersion: string, kind: string): string {
  if (apiVersion === 'monitoring.coreos.com/v1') {
    return `@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/${kind}`;
  }
  // Core objects (`v1`) sit at the package root; the others under their group, e.g. `apps/v1`.
  return `kubernetes-models/${apiVersion}/${kind}`;
}

/**
 * Validates one object against the OpenAPI schema of its kind, as published in `kubernetes-models` and
 * `@kubernetes-models/prometheus-operator`. Returns the problems, empty when the object is valid; an unknown
 * apiVersion or kind is a problem too.
 */
export async function validateK8sObject(object: K8sObject): Promise<string[]> {
  const where = `${object.kind}/${object.metadata?.name ?? '?'}`;
  let Model: ModelClass | undefined;
  try {
    const module = (await import(modulePath(object.apiVersion, object.kind))) as Record<string, ModelClass>;
    Model = module[object.kind];
  } catch {
    Model = undefined;
  }
  if (Model === undefined) return [`${where}: no schema for ${object.apiVersion} ${object.kind}`];
  try {
    new Model(object).validate();
    return [];
  } catch (error) {
    return [`${where}: ${(error as Error).message}`];
  }
}
