import { terminalStatuses, type JobRecord } from "./types";

/**
 * How far a job is and how fast it goes, in the words every surface shows (the CLI's bar and lines, the
 * Pulumi resource's progress). Speed is over the job's own running time, so anyone attaching later sees
 * the same numbers.
 */
export interface JobProgress {
  percent: number;
  itemsPerSecond: number;
  /** Time left at the current speed, as `formatDuration` writes it; `--:--:--` before there is a speed. */
  eta: string;
}

function twoDigits(value: number): string {
  return String(value).padStart(2, "0");
}

/** A .NET TimeSpan as the service serialises it: `hh:mm:ss`, with a `d.` prefix past a day. */
export function formatDuration(milliseconds: number): string {
  const seconds = Math.max(0, Math.floor(milliseconds / 1000));
  const days = Math.floor(seconds / 86400);
  const clock = `${twoDigits(Math.floor(seconds / 3600) % 24)}:${twoDigits(Math.floor(seconds / 60) % 60)}:${twoDigits(seconds % 60)}`;
  return days > 0 ? `${days}.${clock}` : clock;
}

export function jobProgress(job: JobRecord): JobProgress {
  // Items a transform skipped were read as much as those written: both are behind the job.
  const read = job.processedCount + (job.skippedCount ?? 0);
  const itemsPerSecond = job.durationMs > 0 ? read / (job.durationMs / 1000) : 0;
  const remaining = Math.max(0, job.totalCount - read);
  const done = job.status === "Completed" || (job.totalCount > 0 && remaining === 0);
  return {
    percent: job.totalCount > 0 ? Math.min(100, Math.floor((read / job.totalCount) * 100)) : 0,
    itemsPerSecond: Math.round(itemsPerSecond),
    eta: done
      ? formatDuration(0)
      : itemsPerSecond > 0
        ? formatDuration((remaining / itemsPerSecond) * 1000)
        : "--:--:--",
  };
}

/**
 * Where an online job stands beside its status: `InitialCopy` during its first pass, then `Tailing, 42
 * changes applied, lag 3 changes / 1 s` (or `Completing, …`). An ended job's phase is history; its applied
 * changes still count. Undefined for offline jobs.
 */
export function describeOnline(job: JobRecord): string | undefined {
  const { online } = job;
  if (!online) return undefined;
  const applied = `${online.appliedChanges} changes applied`;
  if (terminalStatuses.includes(job.status)) return applied;
  if (online.phase === "InitialCopy") return online.phase;
  const lag = online.lag ? `, lag ${online.lag.changes} changes / ${online.lag.seconds} s` : "";
  return `${online.phase}, ${applied}${lag}`;
}

/**
 * One line: `Running 5000/20000 items (25%), 3100 items/s, ETA 00:00:05`. An online job adds where it
 * stands (`describeOnline`); past its first pass, speed and ETA mean nothing and make way for its lag:
 * `Running 20000/20000 items (100%), Tailing, 42 changes applied, lag 3 changes / 1 s`. Items a transform
 * skipped are counted apart and done as much as those written: `Running 3000/9000 items, 1500 skipped (50%)`.
 */
export function describeProgress(job: JobRecord): string {
  const { percent, itemsPerSecond, eta } = jobProgress(job);
  const pastFirstPass = job.online !== undefined && job.online.phase !== "InitialCopy";
  const skipped = job.skippedCount ? `, ${job.skippedCount} skipped` : "";
  return [
    `${job.status} ${job.processedCount}/${job.totalCount} items${skipped} (${percent}%)`,
    describeOnline(job),
    pastFirstPass ? undefined : `${itemsPerSecond} items/s, ETA ${eta}`,
  ]
    .filter((part) => part !== undefined)
    .join(", ");
}
