import { errors } from "../errors";
import { header, isTrue, json, jsonBody, type CosmosRequest, type CosmosResponse } from "../protocol";
import { newChildRid, newEtag, nowSeconds } from "../resource-ids";
import type { ScriptKind, ScriptRecord } from "../store/script-store";
import type { ContainerRecord } from "../store/store";
import { requestUnits } from "../throughput/request-units";
import { containerSelf, type EmulatorContext } from "./context";
import { listResources, queryResources } from "./resource-query";

/**
 * CRUD of a container's server-side scripts, `…/colls/{c}/sprocs|triggers|udfs[/{id}]`: create, upsert,
 * read, replace, delete, list and query. The body is kept as the string the client sent (the SDK turns a
 * function into its source text before sending).
 */
interface KindRules {
  /** As error messages name it. */
  noun: string;
  /** The feed envelope's array. */
  envelope: string;
  /** Checks the kind's own properties, throwing a 400 that names the bad value. */
  validate?: (definition: Record<string, unknown>) => void;
}

/** What a trigger may be; the SDK sends them lower-case, the service's documentation capitalised. */
const triggerTypes = ["pre", "post"];
const triggerOperations = ["all", "create", "update", "delete", "replace"];

function oneOf(name: string, value: unknown, allowed: string[]): void {
  if (typeof value !== "string" || !allowed.includes(value.toLowerCase())) {
    throw errors.badRequest(
      `The trigger's ${name} ${JSON.stringify(value)} is invalid: it must be one of ${allowed.join(", ")}.`,
    );
  }
}

const rules: Record<ScriptKind, KindRules> = {
  sprocs: { noun: "stored procedure", envelope: "StoredProcedures" },
  triggers: {
    noun: "trigger",
    envelope: "Triggers",
    validate: (definition) => {
      oneOf("triggerType", definition.triggerType, triggerTypes);
      oneOf("triggerOperation", definition.triggerOperation, triggerOperations);
    },
  },
  udfs: { noun: "user-defined function", envelope: "UserDefinedFunctions" },
};

/** Script ids follow the service's rules for names: no `/ \ ? #`, no trailing space, at most 255 characters. */
function validateId(noun: string, value: unknown): string {
  if (typeof value !== "string" || value.length === 0) {
    throw errors.badRequest(`The ${noun} id is missing or not a string: provide a non-empty string "id".`);
  }
  if (/[/\\?#]/.test(value) || value.endsWith(" ") || value.length > 255) {
    throw errors.badRequest(
      `The input name '${value}' is invalid: a ${noun} id may not contain '/', '\\', '?' or '#', end with a space or exceed 255 characters.`,
    );
  }
  return value;
}

function validDefinition(kind: ScriptKind, request: CosmosRequest): Record<string, unknown> {
  const body = jsonBody<unknown>(request);
  const { noun, validate } = rules[kind];
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw errors.badRequest(`The ${noun} must be a JSON object with an "id" and a "body".`);
  }
  const definition: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(body)) if (!name.startsWith("_")) definition[name] = value;
  validateId(noun, definition.id);
  if (typeof definition.body !== "string") {
    throw errors.badRequest(
      `The ${noun} body ${JSON.stringify(definition.body)} is invalid: it must be the script's source as a string.`,
    );
  }
  validate?.(definition);
  return definition;
}

export function scriptResource(container: ContainerRecord, script: ScriptRecord): Record<string, unknown> {
  return {
    ...(JSON.parse(script.definition) as Record<string, unknown>),
    _rid: script.rid,
    _self: `${containerSelf(container)}${script.kind}/${script.rid}/`,
    _etag: script.etag,
    _ts: script.ts,
  };
}

export function requireScript(
  ctx: EmulatorContext,
  container: ContainerRecord,
  kind: ScriptKind,
  id: string,
): ScriptRecord {
  const script = ctx.store.scripts.getScript(container.rid, kind, id);
  if (!script) throw errors.notFound();
  return script;
}

/** The script's JavaScript source, as the client sent it. */
export function scriptSource(script: ScriptRecord): string {
  return (JSON.parse(script.definition) as { body: string }).body;
}

function store(
  ctx: EmulatorContext,
  container: ContainerRecord,
  kind: ScriptKind,
  definition: Record<string, unknown>,
  existing: ScriptRecord | undefined,
): ScriptRecord {
  const script: ScriptRecord = {
    containerRid: container.rid,
    kind,
    id: definition.id as string,
    rid: existing?.rid ?? newChildRid(container.rid, 8),
    ts: nowSeconds(),
    etag: newEtag(),
    definition: JSON.stringify(definition),
  };
  ctx.store.scripts.putScript(script);
  return script;
}

function checkIfMatch(existing: ScriptRecord, request: CosmosRequest): void {
  const ifMatch = header(request, "if-match");
  if (ifMatch !== undefined && ifMatch !== "*" && ifMatch !== existing.etag)
    throw errors.preconditionFailed();
}

/** `POST …/{kind}`: a create, or an upsert with `x-ms-documentdb-is-upsert`. */
export function createScript(
  ctx: EmulatorContext,
  container: ContainerRecord,
  kind: ScriptKind,
  request: CosmosRequest,
): CosmosResponse {
  const definition = validDefinition(kind, request);
  const existing = ctx.store.scripts.getScript(container.rid, kind, definition.id as string);
  if (existing && !isTrue(request, "x-ms-documentdb-is-upsert")) {
    throw errors.conflict(`A ${rules[kind].noun} with id '${existing.id}' already exists.`);
  }
  if (existing) checkIfMatch(existing, request);
  const script = store(ctx, container, kind, definition, existing);
  return json(existing ? 200 : 201, scriptResource(container, script), requestUnits.metadata());
}

export function replaceScript(
  ctx: EmulatorContext,
  container: ContainerRecord,
  kind: ScriptKind,
  id: string,
  request: CosmosRequest,
): CosmosResponse {
  const existing = requireScript(ctx, container, kind, id);
  const definition = validDefinition(kind, request);
  if (definition.id !== id) {
    throw errors.badRequest(
      `The ${rules[kind].noun} id in the body ('${String(definition.id)}') differs from the id in the URL ('${id}').`,
    );
  }
  checkIfMatch(existing, request);
  const script = store(ctx, container, kind, definition, existing);
  return json(200, scriptResource(container, script), requestUnits.metadata());
}

export function readScript(
  ctx: EmulatorContext,
  container: ContainerRecord,
  kind: ScriptKind,
  id: string,
): CosmosResponse {
  return json(
    200,
    scriptResource(container, requireScript(ctx, container, kind, id)),
    requestUnits.metadata(),
  );
}

export function deleteScript(
  ctx: EmulatorContext,
  container: ContainerRecord,
  kind: ScriptKind,
  id: string,
  request: CosmosRequest,
): CosmosResponse {
  checkIfMatch(requireScript(ctx, container, kind, id), request);
  ctx.store.scripts.deleteScript(container.rid, kind, id);
  return { status: 204, requestCharge: requestUnits.metadata() };
}

function scriptResources(ctx: EmulatorContext, container: ContainerRecord, kind: ScriptKind) {
  return ctx.store.scripts.listScripts(container.rid, kind).map((s) => scriptResource(container, s));
}

export function listScripts(
  ctx: EmulatorContext,
  container: ContainerRecord,
  kind: ScriptKind,
): CosmosResponse {
  return listResources(scriptResources(ctx, container, kind), container.rid, rules[kind].envelope);
}

export function queryScripts(
  ctx: EmulatorContext,
  container: ContainerRecord,
  kind: ScriptKind,
  request: CosmosRequest,
): CosmosResponse {
  return queryResources(request, scriptResources(ctx, container, kind), container.rid, rules[kind].envelope);
}
