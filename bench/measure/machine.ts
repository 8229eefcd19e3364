import * as fs from "node:fs";
import * as os from "node:os";

/** What the figures were measured on, for the report: they mean little without it. */
export interface Machine {
  cpus: number;
  cpuModel: string;
  memoryGb: number;
  node: string;
  platform: string;
  date: string;
  /** One-minute load average when the bench started and when it ended (other work on the machine). */
  loadAtStart: number;
  loadAtEnd?: number;
}

function cpuModel(): string {
  try {
    const model = /^model name\s*:\s*(.+)$/m.exec(fs.readFileSync("/proc/cpuinfo", "utf8"));
    if (model) return model[1].trim();
  } catch {
    // not Linux: fall back to what Node reports
  }
  return os.cpus()[0]?.model ?? "unknown";
}

export function describeMachine(): Machine {
  return {
    cpus: os.availableParallelism(),
    cpuModel: cpuModel(),
    memoryGb: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    date: new Date().toISOString(),
    loadAtStart: os.loadavg()[0],
  };
}
