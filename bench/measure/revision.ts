import { execFileSync } from "node:child_process";
import * as path from "node:path";

/**
 * Which code the figures belong to: the commit, and whether the engine or emulator had uncommitted changes
 * when the bench ran (other work goes on in the same tree). "unknown" outside a git checkout.
 */
export function describeRevision(): string {
  const root = path.join(__dirname, "..", "..", "..");
  const git = (...args: string[]) => execFileSync("git", args, { cwd: root, encoding: "utf8" }).trim();
  try {
    const changed = git("status", "--porcelain", "--", "engine", "provider", "emulator");
    return `${git("rev-parse", "--short", "HEAD")}${changed ? " + uncommitted changes in engine/, provider/ or emulator/" : ""}`;
  } catch {
    return "unknown";
  }
}
