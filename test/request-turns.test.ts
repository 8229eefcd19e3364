import assert from "node:assert/strict";
import { FairTurns } from "../emulator/request-turns";

/** The emulator's scheduler for heavy requests, alone: who gets a turn, and when. */
describe("request turns", function () {
  it("grants turns round-robin across containers, in arrival order within one", async function () {
    const turns = new FairTurns();
    const granted: string[] = [];
    const requests = ["a1", "a2", "a3", "b1", "c1", "b2"].map((name) =>
      turns.take(name[0]).then(() => granted.push(name)),
    );
    await Promise.all(requests);
    assert.deepEqual(granted, ["a1", "b1", "c1", "a2", "b2", "a3"]);
  });

  it("grants one turn per event-loop iteration, so callbacks due meanwhile run between turns", async function () {
    const turns = new FairTurns();
    const events: string[] = [];
    const first = turns.take("a").then(() => {
      events.push("turn 1");
      // A timer that falls due while the turn works, standing in for a request that arrives meanwhile: the
      // loop runs it (timers, then I/O) before it comes back to grant the next turn.
      setTimeout(() => events.push("between"), 0);
      const busyUntil = performance.now() + 5;
      while (performance.now() < busyUntil);
    });
    const second = turns.take("a").then(() => events.push("turn 2"));
    await Promise.all([first, second]);
    assert.deepEqual(events, ["turn 1", "between", "turn 2"]);
  });
});
