import { CosmosError, errors } from "../errors";
import { executeQuery, parametersFromSpec, parseQuery } from "../query/evaluate";
import type { ContainerRecord, ItemRecord } from "../store/store";
import { requestUnits } from "../throughput/request-units";
import { containerSelf, type EmulatorContext } from "./context";
import { deleteItem, renderItem, writeItem, type OperationResult } from "./item-operations";
import { ScriptSandbox } from "./script-sandbox";

/**
 * The service's server-side JavaScript API as stored procedures and triggers see it through `getContext()`:
 * the request, the response and the collection. Collection operations act on the request's logical
 * partition only (the service runs a script on the replica that owns it) and go through the same item
 * operations as REST calls; the caller runs the whole script in one store transaction, so a script that
 * throws leaves none of its writes behind.
 */
export interface ScriptScope {
  ctx: EmulatorContext;
  container: ContainerRecord;
  /** The canonical partition key JSON of the logical partition the script runs in. */
  partitionKey: string;
  sandbox: ScriptSandbox;
}

/** A body holder: the request's (a trigger's item) or the response's (a procedure's result). */
export class ScriptBody {
  constructor(
    private readonly sandbox: ScriptSandbox,
    public value: unknown,
  ) {}

  /** The value as the script sees it: a copy in its own realm. */
  api() {
    return {
      getBody: () => this.sandbox.toScript(this.value),
      setBody: (value: unknown) => {
        this.value = value === undefined ? undefined : JSON.parse(JSON.stringify(value));
      },
      // The service appends text to the body: ten appends of 0…9 answer "0123456789".
      appendBody: (value: unknown) => this.append(value),
      appendValue: (key: unknown, value: unknown) => {
        if (key !== "Body")
          throw new Error(`appendValue supports the key 'Body' only, not '${String(key)}'.`);
        this.append(value);
      },
    };
  }

  private append(value: unknown): void {
    this.value = asText(this.value) + asText(value);
  }
}

/** Text as appending sees it: strings as they are, nothing as "", other values as their JSON. */
function asText(value: unknown): string {
  if (value === undefined) return "";
  return typeof value === "string" ? value : JSON.stringify(value);
}

type Callback = (error: unknown, result?: unknown, options?: unknown) => void;

/** Splits the optional `options` and `callback` arguments the way the service's API takes them. */
function trailing(args: unknown[]): { options: Record<string, unknown>; callback?: Callback } {
  const [first, second] = args;
  if (typeof first === "function") return { options: {}, callback: first as Callback };
  const options = typeof first === "object" && first !== null ? (first as Record<string, unknown>) : {};
  return { options, callback: typeof second === "function" ? (second as Callback) : undefined };
}

/** The last segment of a document link: `dbs/d/colls/c/docs/{id}` or a `_self` ending in the item's rid. */
function documentKey(link: unknown): string {
  if (typeof link !== "string") throw errors.badRequest(`The document link ${String(link)} is not a string.`);
  const segments = link.split("/").filter(Boolean);
  if (segments.length < 2 || segments[segments.length - 2] !== "docs") {
    throw errors.badRequest(`The document link '${link}' does not end in docs/{id}.`);
  }
  return segments[segments.length - 1];
}

export class ScriptCollection {
  /** Request units the script's operations cost, added to the execution's charge. */
  requestCharge = 0;

  constructor(private readonly scope: ScriptScope) {}

  api() {
    const { ctx, container } = this.scope;
    return {
      getSelfLink: () => containerSelf(container),
      getAltLink: () => `dbs/${container.databaseId}/colls/${container.id}`,
      createDocument: (_link: unknown, document: unknown, ...rest: unknown[]) =>
        this.operate(rest, () => this.write("create", document)),
      upsertDocument: (_link: unknown, document: unknown, ...rest: unknown[]) =>
        this.operate(rest, () => this.write("upsert", document)),
      replaceDocument: (link: unknown, document: unknown, ...rest: unknown[]) =>
        this.operate(rest, (options) =>
          this.write("replace", document, this.find(link).id, options.etag as string | undefined),
        ),
      readDocument: (link: unknown, ...rest: unknown[]) =>
        this.operate(rest, () => {
          const item = this.find(link);
          this.requestCharge += requestUnits.pointRead(Buffer.byteLength(item.body));
          return this.render(item);
        }),
      deleteDocument: (link: unknown, ...rest: unknown[]) =>
        this.operate(rest, (options) => {
          const item = this.find(link);
          const result = deleteItem(
            ctx,
            container,
            this.scope.partitionKey,
            item.id,
            options.etag as string | undefined,
          );
          this.requestCharge += result.requestCharge;
          return undefined;
        }),
      queryDocuments: (_link: unknown, query: unknown, ...rest: unknown[]) =>
        this.operate(rest, () => this.query(query)),
      readDocuments: (_link: unknown, ...rest: unknown[]) =>
        this.operate(rest, () => this.query("SELECT * FROM root")),
    };
  }

  /**
   * Runs an operation and hands its outcome to the callback once the calling function has returned, as the
   * service does; answers `true`, the service's "accepted". A failure nobody takes a callback for fails the
   * script with the operation's own error.
   */
  private operate(rest: unknown[], work: (options: Record<string, unknown>) => unknown): boolean {
    const { options, callback } = trailing(rest);
    const { sandbox } = this.scope;
    try {
      const result = work(options);
      if (callback) sandbox.defer(callback, undefined, sandbox.toScript(result), sandbox.toScript({}));
    } catch (error) {
      if (!(error instanceof CosmosError)) throw error;
      if (!callback) {
        sandbox.defer(() => {
          throw error;
        });
      } else {
        sandbox.defer(callback, sandbox.toScript({ number: error.status, message: error.message }));
      }
    }
    return true;
  }

  private write(kind: "create" | "upsert" | "replace", document: unknown, id?: string, ifMatch?: string) {
    const { ctx, container, partitionKey } = this.scope;
    const copy: unknown = document === undefined ? undefined : JSON.parse(JSON.stringify(document));
    const result: OperationResult = writeItem(ctx, container, kind, copy, { partitionKey, id, ifMatch });
    this.requestCharge += result.requestCharge;
    return result.item && this.render(result.item);
  }

  private find(link: unknown): ItemRecord {
    const key = documentKey(link);
    const { ctx, container, partitionKey } = this.scope;
    const item =
      ctx.store.getItem(container.rid, partitionKey, key) ??
      ctx.store.itemsInLogicalPartition(container.rid, partitionKey).find((i) => i.rid === key);
    if (!item) throw errors.notFound();
    return item;
  }

  private query(query: unknown): unknown[] {
    const spec =
      typeof query === "string"
        ? { query, parameters: [] }
        : (query as { query?: unknown; parameters?: { name: string; value: unknown }[] });
    if (typeof spec?.query !== "string") {
      throw errors.badRequest(
        `The query ${JSON.stringify(query)} is neither a string nor {query, parameters}.`,
      );
    }
    const { ctx, container, partitionKey } = this.scope;
    const documents = ctx.store
      .itemsInLogicalPartition(container.rid, partitionKey)
      .map((item) => this.render(item));
    const results = executeQuery(
      parseQuery(spec.query),
      documents,
      parametersFromSpec(spec.parameters ?? []),
    );
    this.requestCharge += requestUnits.feedPage(Buffer.byteLength(JSON.stringify(results)));
    return results;
  }

  private render(item: ItemRecord): Record<string, unknown> {
    return JSON.parse(renderItem(this.scope.container, item)) as Record<string, unknown>;
  }
}

/** One script execution: its sandbox, with `getContext()` answering the request, response and collection. */
export interface ScriptRun {
  sandbox: ScriptSandbox;
  collection: ScriptCollection;
  request: ScriptBody;
  response: ScriptBody;
}

export function openScriptRun(
  ctx: EmulatorContext,
  container: ContainerRecord,
  partitionKey: string,
  bodies: { request?: unknown; response?: unknown },
): ScriptRun {
  let context: Record<string, () => unknown> = {};
  const sandbox = new ScriptSandbox({ getContext: () => context });
  const collection = new ScriptCollection({ ctx, container, partitionKey, sandbox });
  const request = new ScriptBody(sandbox, bodies.request);
  const response = new ScriptBody(sandbox, bodies.response);
  const [collectionApi, requestApi, responseApi] = [collection.api(), request.api(), response.api()];
  context = {
    getCollection: () => collectionApi,
    getRequest: () => requestApi,
    getResponse: () => responseApi,
  };
  return { sandbox, collection, request, response };
}
