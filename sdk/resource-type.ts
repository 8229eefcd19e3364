import * as pulumi from "@pulumi/pulumi";

/**
 * The type tokens stacks show. A dynamic resource's package is always the dynamic provider's
 * (`pulumi-nodejs`); its module and type are ours: `pulumi-nodejs:dynamic/pulumi-cosmos-copy:<type>`.
 */
export const typeModule = "pulumi-cosmos-copy";

export function resourceType(typeName: string): string {
  return `pulumi-nodejs:dynamic/${typeModule}:${typeName}`;
}

/**
 * One field of an object argument. Read from the object itself when it is one, so each field keeps its own
 * secrecy: lifting the whole object through `pulumi.output` would make its other fields as secret as its
 * key or password, hiding them in every diff.
 */
export function fieldOf<T extends object, K extends keyof T>(
  argument: pulumi.Input<T>,
  field: K,
): pulumi.Input<T[K]> {
  if (pulumi.Output.isInstance(argument) || argument instanceof Promise) {
    return pulumi.output(argument).apply((resolved) => (resolved as T)[field]);
  }
  return argument[field];
}
