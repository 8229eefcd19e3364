import type * as pulumi from "@pulumi/pulumi";
import { CopyJobs, jobSpecProblems, type JobRecord } from "../engine";
import { connectionOf, replaceOnChange, specOf, type JobInputs, type JobOutputs } from "./inputs";

/**
 * The dynamic provider's lifecycle hooks, each a thin adapter over the engine's `CopyJobs`. The serialized
 * provider (dynamic-provider.ts) loads this module at run time, so none of it ends up in the state file.
 */

/** Pulumi's marker for a value not known yet (during preview); such inputs are not checked. */
const unknown = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

function isKnown(inputs: JobInputs, names: (keyof JobInputs)[]): boolean {
  return names.every(
    (name) => inputs[name] !== unknown && JSON.stringify(inputs[name] ?? null).indexOf(unknown) < 0,
  );
}

async function withJobs<T>(inputs: JobInputs, work: (jobs: CopyJobs) => Promise<T>): Promise<T> {
  const jobs = CopyJobs.connect(await connectionOf(inputs));
  try {
    return await work(jobs);
  } finally {
    jobs.dispose();
  }
}

/** Pulumi's property structs cannot hold `undefined`; a JSON round trip drops absent fields. */
function outputsOf(inputs: JobInputs, job: JobRecord, targetItemCount?: number): JobOutputs {
  return JSON.parse(JSON.stringify(outputFields(inputs, job, targetItemCount)));
}

function outputFields(inputs: JobInputs, job: JobRecord, targetItemCount?: number): JobOutputs {
  return {
    ...inputs,
    status: job.status,
    processedCount: job.processedCount,
    totalCount: job.totalCount,
    error: job.error,
    verification: job.verification,
    createdAt: job.createdAt,
    completedAt: job.completedAt,
    ...(targetItemCount === undefined ? {} : { targetItemCount }),
  };
}

function failureMessage(job: JobRecord): string {
  return `Copy job '${job.name}' ended ${job.status}${job.error ? `: ${job.error.code}: ${job.error.message}` : "."} The job record stays in the account: delete it (cosmos-copy delete --job-name ${job.name}) or choose another jobName to try again.`;
}

/** Runs (or adopts) the job and, unless told not to, waits for it to end; a failed job fails the update. */
async function runToEnd(jobs: CopyJobs, inputs: JobInputs): Promise<JobRecord> {
  let job = await jobs.create(specOf(inputs));
  if (inputs.paused && (job.status === "Pending" || job.status === "Running"))
    job = await jobs.pause(inputs.jobName);
  if (inputs.waitForCompletion === false || job.status === "Paused") return job;
  job = await jobs.wait(inputs.jobName, {
    timeoutMs: inputs.timeoutMinutes === undefined ? undefined : inputs.timeoutMinutes * 60_000,
    pollIntervalMs: 1000,
    startWorkerIfNone: true,
  });
  if (job.status !== "Completed") throw new Error(failureMessage(job));
  return job;
}

/** Validates names and options; with known inputs, looks both containers up so `preview` fails early. */
export async function check(_olds: JobInputs, news: JobInputs): Promise<pulumi.dynamic.CheckResult> {
  const failures: pulumi.dynamic.CheckFailure[] = [];
  if (
    isKnown(news, [
      "jobName",
      "sourceDatabase",
      "sourceContainer",
      "destinationDatabase",
      "destinationContainer",
    ])
  ) {
    for (const problem of jobSpecProblems(specOf(news)))
      failures.push({ property: problem.field, reason: problem.message });
  }
  if (!news.accountEndpoint) failures.push({ property: "account", reason: "account.endpoint is required." });
  if (
    news.timeoutMinutes !== undefined &&
    isKnown(news, ["timeoutMinutes"]) &&
    !(typeof news.timeoutMinutes === "number" && news.timeoutMinutes > 0)
  ) {
    failures.push({
      property: "timeoutMinutes",
      reason: `timeoutMinutes ${JSON.stringify(news.timeoutMinutes)} is not valid: give a positive number of minutes, or leave it out to wait as long as the copy takes.`,
    });
  }
  if (failures.length === 0 && isKnown(news, ["accountEndpoint", "accountKey", ...replaceOnChange])) {
    try {
      await withJobs(news, (jobs) => jobs.preflight(specOf(news)));
    } catch (error) {
      failures.push({
        property: "destination",
        reason: error instanceof Error ? error.message : String(error),
      });
    }
  }
  return { inputs: news, failures };
}

export async function diff(
  _id: string,
  olds: JobOutputs,
  news: JobInputs,
): Promise<pulumi.dynamic.DiffResult> {
  const replaces = replaceOnChange.filter((name) => olds[name] !== news[name]);
  const pausedChanged = Boolean(olds.paused) !== Boolean(news.paused);
  const keyChanged = olds.accountKey !== news.accountKey || olds.authentication !== news.authentication;
  return {
    changes: replaces.length > 0 || pausedChanged || keyChanged,
    replaces,
    // A replacement that keeps the job name must remove the old job first: names are unique per account.
    deleteBeforeReplace: !replaces.includes("jobName"),
  };
}

export async function create(inputs: JobInputs): Promise<pulumi.dynamic.CreateResult> {
  return withJobs(inputs, async (jobs) => {
    const job = await runToEnd(jobs, inputs);
    return { id: job.name, outs: outputsOf(inputs, job) };
  });
}

/** `paused` toggled: pause, or resume and (by default) wait again. A changed key is simply stored. */
export async function update(
  _id: string,
  olds: JobOutputs,
  news: JobInputs,
): Promise<pulumi.dynamic.UpdateResult> {
  return withJobs(news, async (jobs) => {
    const current = await jobs.get(news.jobName);
    if (news.paused && !olds.paused && (current.status === "Pending" || current.status === "Running")) {
      return { outs: outputsOf(news, await jobs.pause(news.jobName)) };
    }
    if (!news.paused && olds.paused && current.status === "Paused") {
      await jobs.resume(news.jobName);
      return { outs: outputsOf(news, await runToEnd(jobs, news)) };
    }
    return { outs: outputsOf(news, current) };
  });
}

/** The job's real state for `refresh`: a deleted job record removes the resource from the stack. */
export async function read(id: string, props: JobOutputs): Promise<pulumi.dynamic.ReadResult> {
  return withJobs(props, async (jobs) => {
    const job = await jobs.find(id);
    if (!job) return {};
    const target = jobs.client.database(job.destination.database).container(job.destination.container);
    const { resources } = await target.items
      .query<number>("SELECT VALUE COUNT(1) FROM c")
      .fetchAll()
      .catch(() => ({ resources: [] as number[] }));
    const inputs: JobInputs = {
      ...props,
      jobName: job.name,
      sourceDatabase: job.source.database,
      sourceContainer: job.source.container,
      destinationDatabase: job.destination.database,
      destinationContainer: job.destination.container,
    };
    return { id: job.name, props: outputsOf(inputs, job, resources[0]) };
  });
}

/** Cancels a running job and removes its record and checkpoints; the target's data is never touched. */
export async function remove(id: string, props: JobOutputs): Promise<void> {
  await withJobs(props, (jobs) => jobs.delete(id));
}
