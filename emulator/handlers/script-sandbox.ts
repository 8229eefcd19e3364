import * as util from "node:util";
import * as vm from "node:vm";
import { CosmosError } from "../errors";

/**
 * Runs the JavaScript of a stored procedure, trigger or UDF in its own `node:vm` context (its own globals and
 * realm) under a time limit, as the service runs scripts in its JavaScript engine. This isolates scripts
 * from the emulator's globals; it is not a security boundary against a hostile script.
 *
 * The service calls back a script's collection operations asynchronously, after the function that asked
 * returns. The sandbox keeps those callbacks in a queue and runs them, in order, inside the same time limit
 * before the run ends: everything stays synchronous, so a script's writes fit in one store transaction.
 */

/** The service stops a script after 5 seconds of execution. */
export const scriptTimeLimitMs = 5_000;

/** A script that threw: the service answers 400 with what it threw. */
export class ScriptError extends CosmosError {
  constructor(thrown: unknown) {
    super(
      400,
      "BadRequest",
      `Encountered exception while executing function. Exception = ${describe(thrown)}`,
    );
  }
}

function describe(thrown: unknown): string {
  if (typeof thrown === "object" && thrown !== null && "message" in thrown) {
    const { name, message } = thrown as { name?: unknown; message?: unknown };
    return `${typeof name === "string" ? name : "Error"}: ${String(message)}`;
  }
  return String(thrown);
}

export class ScriptSandbox {
  private readonly context: vm.Context;
  private readonly pending: [callback: unknown, args: unknown[]][] = [];
  private readonly realmJson: JSON;
  private name = "script";
  /** What the script wrote with `console.log`, a line per call. */
  readonly log: string[] = [];

  /** `globals` are what the script sees besides the language's own: `getContext`, for instance. */
  constructor(globals: Record<string, unknown>) {
    this.context = vm.createContext({
      ...globals,
      console: { log: (...args: unknown[]) => this.log.push(util.format(...args)) },
      __pending: this.pending,
    });
    this.realmJson = vm.runInContext("JSON", this.context) as JSON;
  }

  /**
   * A copy of a JSON value made in the script's realm, so its arrays and objects are the script's own
   * (`instanceof Array` holds) and it cannot reach the emulator's prototypes.
   */
  toScript(value: unknown): unknown {
    return value === undefined ? undefined : this.realmJson.parse(JSON.stringify(value));
  }

  /** Queues a call of the script's `callback` (or of a host function) to run after the current one. */
  defer(callback: unknown, ...args: unknown[]): void {
    this.pending.push([callback, args]);
  }

  /** Compiles `source`, a function expression, as the function later {@link call}s run. */
  load(name: string, source: string): this {
    this.name = name;
    this.context.__function = this.guard(() =>
      compile(name, `(${source}\n)`).runInContext(this.context, { timeout: scriptTimeLimitMs }),
    );
    if (typeof this.context.__function !== "function") {
      throw new CosmosError(400, "BadRequest", `The body of script '${name}' is not a JavaScript function.`);
    }
    return this;
  }

  /**
   * Calls the loaded function with `args` (copied into the script's realm), then drains the queued callbacks,
   * all within the time limit. What the script throws fails the call with a {@link ScriptError}; an error of
   * the emulator's own (a failed operation nobody handled) passes through as it is.
   */
  call(args: unknown[]): unknown {
    // Each argument on its own: an undefined one stays undefined rather than becoming null in an array.
    this.context.__args = args.map((arg) => this.toScript(arg));
    return this.guard(() => driver.runInContext(this.context, { timeout: scriptTimeLimitMs }));
  }

  private guard(work: () => unknown): unknown {
    try {
      return work();
    } catch (thrown) {
      if (thrown instanceof CosmosError) throw thrown;
      if ((thrown as { code?: unknown }).code === "ERR_SCRIPT_EXECUTION_TIMEOUT") {
        throw new CosmosError(
          408,
          "RequestTimeout",
          `The script '${this.name}' ran longer than its time limit of ${scriptTimeLimitMs} ms and was stopped.`,
        );
      }
      throw new ScriptError(thrown);
    }
  }
}

/** Calls the loaded function, then every callback queued meanwhile (which may queue more). */
const driver = new vm.Script(
  `(() => {
    const result = __function.apply(undefined, __args);
    while (__pending.length > 0) {
      const [callback, args] = __pending.shift();
      callback.apply(undefined, args);
    }
    return result;
  })()`,
  { filename: "script-driver" },
);

function compile(name: string, text: string): vm.Script {
  try {
    return new vm.Script(text, { filename: name });
  } catch (thrown) {
    throw new ScriptError(thrown);
  }
}
