/** A job's outputs as the provider returns them for `inputs`: its status and 10 of 10 items copied. */
export function completedOutputs<Inputs extends object>(inputs: Inputs, status = "Completed") {
  return { ...inputs, status, processedCount: 10, totalCount: 10 };
}

/** Inputs with one value set at `path` (`field` or `object.field`). */
export function withValue<Inputs>(inputs: Inputs, path: string, value: unknown): Inputs {
  const copy = structuredClone(inputs) as unknown as Record<string, Record<string, unknown>>;
  const [head, field] = path.split(".");
  if (field) copy[head] = { ...copy[head], [field]: value };
  else copy[head] = value as Record<string, unknown>;
  return copy as unknown as Inputs;
}
