import * as fs from "node:fs";

/**
 * Where the CPU went during a copy, from /proc (undefined where there is none). cosmos-emulator does all its
 * work (HTTP, JSON, SQLite) on its main thread, so that thread's busy share says how close the emulator was
 * to its limit; the machine's busy share says whether the cores themselves were the limit.
 */
export function mainThreadCpuSeconds(pid: number): number | undefined {
  try {
    // The first field of schedstat: nanoseconds the task has spent on a CPU.
    return Number(fs.readFileSync(`/proc/${pid}/schedstat`, "utf8").split(" ")[0]) / 1e9;
  } catch {
    return undefined;
  }
}

/** Linux reports process times in USER_HZ ticks, 100 per second on every architecture it exports them on. */
const userHz = 100;

/**
 * CPU seconds a whole process (all its threads) has used so far, user and system: utime + stime of
 * /proc/<pid>/stat. Read at a copier's end, it is that copier's client-side cost.
 */
export function processCpuSeconds(pid: number): number | undefined {
  let stat: string;
  try {
    stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined;
  }
  // The command name (field 2) may hold spaces; fields are counted from the state (field 3) after it.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const [utime, stime] = [fields[14 - 3], fields[15 - 3]].map(Number);
  return (utime + stime) / userHz;
}

/** Clock ticks all cores have spent busy and in total since boot (the aggregate line of /proc/stat). */
export function machineTicks(): { busy: number; total: number } | undefined {
  let stat: string;
  try {
    stat = fs.readFileSync("/proc/stat", "utf8");
  } catch {
    return undefined;
  }
  const [, ...fields] = stat.split("\n")[0].trim().split(/\s+/);
  const [user, nice, system, idle, iowait, irq, softirq, steal] = fields.map(Number);
  const busy = user + nice + system + irq + softirq + steal;
  return { busy, total: busy + idle + iowait };
}
