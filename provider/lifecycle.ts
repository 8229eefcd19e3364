import type * as pulumi from "@pulumi/pulumi";
import { describeProgress, isTailing, type CopyJobs, type JobRecord, type SourceAccess } from "../engine";
import { countItems } from "../engine/verification";
import { plannedAnalysis } from "./check";
import { withJobs } from "./connect";
import { diffInputs } from "./diff";
import { engineLog } from "./engine-log";
import { currentShape, jobOptionNames, optionsOf, specOf, type JobInputs, type JobOutputs } from "./inputs";

/**
 * The dynamic provider's create, update, read and delete, each a thin adapter over the engine's `CopyJobs`.
 * A job that ends anything but Completed fails the step with Pulumi's partial-state error, so the stack
 * keeps the job (with its status and error) and the next `up` runs `update`, which resumes it from its
 * checkpoints. An online job is waited for until it tails the source's changes (it runs on in its workers),
 * and to its end once `completed` is set.
 */

/** How often `up` shows the copy's progress on the resource's line. */
const progressIntervalMs = 5_000;

/** Pulumi's property structs cannot hold `undefined`; a JSON round trip drops absent fields. */
function outputsOf(inputs: JobInputs, job: JobRecord, targetItemCount?: number): JobOutputs {
  const outputs: JobOutputs = {
    ...inputs,
    status: job.status,
    processedCount: job.processedCount,
    skippedCount: job.skippedCount,
    totalCount: job.totalCount,
    error: job.error,
    verification: job.verification,
    createdAt: job.createdAt,
    completedAt: job.completedAt,
    ...(targetItemCount === undefined ? {} : { targetItemCount }),
    mode: job.mode,
    phase: job.online?.phase,
    appliedChanges: job.online?.appliedChanges,
    lagChanges: job.online?.lag?.changes,
    lagSeconds: job.online?.lag?.seconds,
    preflightWarnings: job.preflight?.warnings,
  };
  return JSON.parse(JSON.stringify(outputs)) as JobOutputs;
}

/**
 * The error the dynamic-provider host turns into Pulumi's "resource created but failed to initialize": the
 * stack records `properties` under `id`, and the next `up` updates the resource instead of creating it.
 */
class JobNotCompleted extends Error {
  readonly reasons: string[];

  constructor(
    readonly id: string,
    readonly properties: JobOutputs,
    message: string,
  ) {
    super(message);
    this.reasons = [message];
  }
}

function notCompletedMessage(job: JobRecord): string {
  const cause = job.error ? `: ${job.error.code}: ${job.error.message}` : ".";
  return job.status === "Failed"
    ? `Copy job '${job.name}' ended Failed${cause} Its checkpoints are kept: fix the cause and run \`pulumi up\` again to resume it (or \`cosmos-copy resume --job-name ${job.name}\`).`
    : `Copy job '${job.name}' was cancelled${cause} A cancelled job does not run again: replace the resource (\`pulumi up --replace <urn>\`) or give it another jobName to copy again.`;
}

/**
 * Waits for the job to end, showing its progress on the resource's line; anything but Completed fails. An
 * online job not asked to complete never ends alone: it is waited for until it tails the source's changes.
 */
async function waitToEnd(
  jobs: CopyJobs,
  inputs: JobInputs,
  job: JobRecord,
  access: SourceAccess,
): Promise<JobRecord> {
  if (inputs.waitForCompletion === false || job.status === "Paused") return job;
  let shownAt = 0;
  let ended: JobRecord;
  try {
    ended = await jobs.wait(inputs.jobName, {
      timeoutMs: inputs.timeoutMinutes === undefined ? undefined : inputs.timeoutMinutes * 60_000,
      pollIntervalMs: 1000,
      startWorkerIfNone: true,
      ...access,
      until: isTailing,
      onProgress: (current) => {
        if (Date.now() - shownAt < progressIntervalMs) return;
        shownAt = Date.now();
        void engineLog.info(inputs.resourceUrn, describeProgress(current), { ephemeral: true });
      },
    });
  } catch (error) {
    // Waiting ended before the job did (it timed out, or the account stopped answering); the job goes on:
    // keep it in the stack so the next `up` waits again.
    const current = await jobs.get(inputs.jobName);
    throw new JobNotCompleted(current.name, outputsOf(inputs, current), String((error as Error).message));
  }
  await engineLog.info(inputs.resourceUrn, describeProgress(ended));
  if (ended.status !== "Completed" && !isTailing(ended)) {
    throw new JobNotCompleted(ended.name, outputsOf(inputs, ended), notCompletedMessage(ended));
  }
  return ended;
}

/**
 * Runs the job the inputs describe to its end (or to Paused, or an online one to tailing): starts it, or
 * takes it up where it is; `completed` cuts an online job over (asking again keeps the first cutover).
 */
async function runToEnd(
  jobs: CopyJobs,
  inputs: JobInputs,
  job: JobRecord,
  access: SourceAccess,
): Promise<JobRecord> {
  const going = (current: JobRecord) => current.status === "Pending" || current.status === "Running";
  if (inputs.paused) return going(job) ? jobs.pause(job.name) : job;
  if (job.status === "Paused" || job.status === "Failed") job = await jobs.resume(job.name, access);
  if (inputs.completed && job.mode === "Online" && going(job)) job = await jobs.complete(job.name, access);
  return waitToEnd(jobs, inputs, job, access);
}

export async function create(inputs: JobInputs): Promise<pulumi.dynamic.CreateResult<JobOutputs>> {
  return withJobs(inputs, async (jobs, access) => {
    // A job of this name copying these containers is adopted (idempotent by name), whatever its status.
    const spec = await specOf(inputs);
    const { resourceUrn: owner } = inputs;
    const created = await jobs.create(spec, { owner, analysis: plannedAnalysis(owner, spec) });
    const job = await runToEnd(jobs, inputs, created, access);
    return { id: job.name, outs: outputsOf(inputs, job) };
  });
}

/**
 * Applies what `diff` found, as the `inputChanges` table says: new options (its `update` inputs but
 * `paused`) go to the job, `paused` pauses or resumes it, a job left Failed resumes, and stored inputs are
 * simply kept in the new outputs.
 */
export async function update(
  _id: string,
  olds: JobOutputs,
  news: JobInputs,
): Promise<pulumi.dynamic.UpdateResult<JobOutputs>> {
  const { changed } = diffInputs(olds, news);
  return withJobs(news, async (jobs, access) => {
    let job = await jobs.get(news.jobName);
    if (changed.some((path) => (jobOptionNames as readonly string[]).includes(path))) {
      job = await jobs.updateOptions(news.jobName, optionsOf(news), access);
    }
    return { outs: outputsOf(news, await runToEnd(jobs, news, job, access)) };
  });
}

/** The job's real state for `refresh`: a deleted job record removes the resource from the stack. */
export async function read(id: string, stored: JobOutputs): Promise<pulumi.dynamic.ReadResult<JobOutputs>> {
  const props = currentShape(stored);
  return withJobs(props, async (jobs) => {
    const job = await jobs.find(id);
    if (!job) return {};
    const target = jobs.client.database(job.destination.database).container(job.destination.container);
    // A target that cannot be counted (deleted since) leaves the count out rather than failing the refresh.
    const targetItemCount = await countItems(target).catch(() => undefined);
    const inputs: JobInputs = {
      ...props,
      jobName: job.name,
      source: job.source,
      destination: job.destination,
    };
    return { id: job.name, props: outputsOf(inputs, job, targetItemCount) };
  });
}

/** Cancels a running job and removes its record and checkpoints; the target's data is never touched. */
export async function remove(id: string, stored: JobOutputs): Promise<void> {
  await withJobs(currentShape(stored), (jobs) => jobs.delete(id));
}
