import type { UserFunction } from "../query/user-functions";
import type { ContainerRecord } from "../store/store";
import type { EmulatorContext } from "./context";
import { ScriptSandbox } from "./script-sandbox";
import { scriptSource } from "./scripts";

/**
 * The container's user-defined functions as a query calls them: each compiled on first use in its own
 * sandbox, called with copies of its arguments under the script time limit, its result copied back as JSON.
 */
export function userFunctionsOf(
  ctx: EmulatorContext,
  container: ContainerRecord,
): (name: string) => UserFunction | undefined {
  return (name) => {
    const record = ctx.store.scripts.getScript(container.rid, "udfs", name);
    if (!record) return undefined;
    const sandbox = new ScriptSandbox({}).load(`udfs/${name}`, scriptSource(record));
    return (...args) => {
      const result = sandbox.call(args);
      return result === undefined ? undefined : (JSON.parse(JSON.stringify(result)) as unknown);
    };
  };
}
