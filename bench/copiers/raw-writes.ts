import type { Container } from "@azure/cosmos";
import { seedContainer } from "../../test/support/seed";
import { sourceItems } from "../dataset";

/**
 * The endpoint's raw write ceiling: the source's very items, built in memory and written with `items.bulk`
 * (up to 100 operations of one physical partition a call, so each call is one request) with many calls in
 * flight. Nothing is read, so no copier that has to read the
 * source first can go faster; the copiers are measured against it. The item bodies are the source's, so the
 * bench's check of the target compares it with the source like any copy.
 *
 * Calls in flight, explored on 20,000 items before calls were grouped by partition (cosmos-emulator in its own process, 2 cores shared with other
 * work, load 2.5–3), items/s over 2–3 runs: 8: 8,500–11,500   16: 9,500–12,300   32: 10,400–12,600
 *   64: 10,800–11,100. 32 is kept: more only queue in the emulator's one thread.
 */
export const rawWriteConcurrency = 32;

export async function writeFromMemory(target: Container, sourceId: string, items: number): Promise<void> {
  await seedContainer(target, sourceItems(sourceId, items), rawWriteConcurrency);
}
