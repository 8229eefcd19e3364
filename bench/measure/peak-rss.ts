import * as fs from "node:fs";

/**
 * A process's peak resident set (VmHWM) in MB, read from /proc while it is still alive, so the engine can be
 * measured in its own process rather than in the bench's, which also seeds data and polls. Undefined where
 * there is no /proc (not Linux) or the process is gone.
 */
export function peakRssMb(pid: number): number | undefined {
  let status: string;
  try {
    status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
  } catch {
    return undefined;
  }
  const kilobytes = /^VmHWM:\s+(\d+) kB$/m.exec(status);
  return kilobytes ? Number(kilobytes[1]) / 1024 : undefined;
}
