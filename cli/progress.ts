import { SingleBar } from "cli-progress";
import { describeOnline, describeProgress, jobProgress, type JobRecord } from "../engine";

/**
 * The progress of a job being waited on. It goes to stderr, so stdout carries only the result a script
 * parses. On a terminal it is a live bar redrawn in place; anywhere else (CI logs, pipes, files) it is one
 * plain line per change, because in-place redraws turn into noise there.
 */
export interface ProgressDisplay {
  update(job: JobRecord): void;
  stop(): void;
}

/** The status, and for an online job its phase and lag, which change while its item counts stand still. */
function statusOf(job: JobRecord): string {
  const online = describeOnline(job);
  return online ? `${job.status} ${online}` : job.status;
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
      const { itemsPerSecond, eta } = jobProgress(job);
      const payload = { job: job.name, rate: itemsPerSecond, remaining: eta, status: statusOf(job) };
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
      const state = `${statusOf(job)} ${job.processedCount}/${job.totalCount}`;
      if (state === last) return;
      last = state;
      stream.write(`${job.name}: ${describeProgress(job)}\n`);
    },
    stop() {},
  };
}

export function progressDisplay(stream: NodeJS.WriteStream = process.stderr): ProgressDisplay {
  return stream.isTTY ? progressBar(stream) : progressLines(stream);
}
