/**
 * A user's function applied to each source item before it is written to the target: it returns the item to
 * write (fields derived, renamed or dropped, such as a synthetic partition key), or `undefined` to skip the
 * item. It must be deterministic: a page replayed after a crash is transformed again and must write the
 * same bodies. The closing check compares the target with the transformed source.
 */
export type ItemTransform = (item: Record<string, unknown>) => Record<string, unknown> | undefined;
