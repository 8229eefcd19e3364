import type { Container } from "@azure/cosmos";
import { withoutSystemProperties } from "../../engine/documents";

/** (a) What a first script does: query everything, then upsert the items one at a time, each awaited. */
export async function copyNaively(source: Container, target: Container): Promise<void> {
  const pages = source.items.query<Record<string, unknown>>("SELECT * FROM c").getAsyncIterator();
  for await (const page of pages) {
    for (const item of page.resources) await target.items.upsert(withoutSystemProperties(item));
  }
}
