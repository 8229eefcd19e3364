import { SingleBar } from "cli-progress";
import type { JobRecord } from "../engine";
import { formatDuration } from "./job-resource";

/**
 * The progress of a job being waited on. It goes to stderr, so stdout carries only the result a script
 * parses. On a terminal it is a live bar redrawn in place; anywhere else (CI logs, pipes, files) it is one
 * plain line per change, because in-place redraws turn into noise there.
 */
export interface ProgressDisplay {
  update(job: JobRecord): void;
  stop(): void;
}

interface Rates {
  percent: number;
  itemsPerSecond: number;
  eta: string;
}

/** Speed over the job's own running time, so re-attaching with `show --watch` shows the same numbers. */
function rates(job: JobRecord): Rates {
  const itemsPerSecond = job.durationMs > 0 ? job.processedCount / (job.durationMs / 1000) : 0;
  const remaining = Math.max(0, job.totalCount - job.processedCount);
  const done = job.status === "Completed" || (job.totalCount > 0 && remaining === 0);
  return {
    percent: job.totalCount > 0 ? Math.min(100, Math.floor((job.processedCount / job.totalCount) * 100)) : 0,
    itemsPerSecond: Math.round(itemsPerSecond),
    eta: done
      ? formatDuration(0)
      : itemsPerSecond > 0
        ? formatDuration((remaining / itemsPerSecond) * 1000)
        : "--:--:--",
  };
}

function progressBar(stream: NodeJS.WriteStream): ProgressDisplay {
  const bar = new SingleBar({
    stream,
    format:
      "{job} [{bar}] {percentage}% | {value}/{total} items | {rate} items/s | ETA {remaining} | {status}",
    barsize: 30,
    hideCursor: true,
    emptyOnZero: true,
  });
  let started = false;
  return {
    update(job) {
      const { itemsPerSecond, eta } = rates(job);
      const payload = { job: job.name, rate: itemsPerSecond, remaining: eta, status: job.status };
      if (!started) {
        bar.start(job.totalCount, job.processedCount, payload);
        started = true;
        return;
      }
      if (bar.getTotal() !== job.totalCount) bar.setTotal(job.totalCount);
      bar.update(job.processedCount, payload);
    },
    stop() {
      if (started) bar.stop();
      started = false;
    },
  };
}

function progressLines(stream: NodeJS.WriteStream): ProgressDisplay {
  let last = "";
  return {
    update(job) {
      const { percent, itemsPerSecond, eta } = rates(job);
      const state = `${job.status} ${job.processedCount}/${job.totalCount}`;
      if (state === last) return;
      last = state;
      stream.write(
        `${job.name}: ${job.status} ${job.processedCount}/${job.totalCount} items (${percent}%), ${itemsPerSecond} items/s, ETA ${eta}\n`,
      );
    },
    stop() {},
  };
}

export function progressDisplay(stream: NodeJS.WriteStream = process.stderr): ProgressDisplay {
  return stream.isTTY ? progressBar(stream) : progressLines(stream);
}
