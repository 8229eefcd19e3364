import type * as pulumi from "@pulumi/pulumi";
import { describeProgress, isTailing, type JobControl, type JobRecord, type SourceAccess } from "../engine";
import { diffInputs } from "./diff";
import { engineLog } from "./engine-log";
import { currentShape } from "./inputs";
import type { CopyKind, LifecycleInputs } from "./kind";
import { kindOf, type ProviderInputs, type ProviderOutputs } from "./kinds";

/**
 * The dynamic provider's create, update, read and delete, each a thin adapter over the engine's job
 * control, the same for every kind of job (see kind.ts). A job that ends anything but Completed fails the
 * step with Pulumi's partial-state error, so the stack keeps the job (with its status and error) and the
 * next `up` runs `update`, which resumes it from its checkpoints. An online job is waited for until it tails
 * the source's changes (it runs on in its workers), and to its end once `completed` is set.
 */

/** How often `up` shows the copy's progress on the resource's line. */
const progressIntervalMs = 5_000;

type Kind = CopyKind<ProviderInputs, ProviderOutputs>;

/**
 * The error the dynamic-provider host turns into Pulumi's "resource created but failed to initialize": the
 * stack records `properties` under `id`, and the next `up` updates the resource instead of creating it.
 */
class JobNotCompleted extends Error {
  readonly reasons: string[];

  constructor(
    readonly id: string,
    readonly properties: ProviderOutputs,
    message: string,
  ) {
    super(message);
    this.reasons = [message];
  }
}

function notCompletedMessage(job: JobRecord): string {
  const cause = job.error ? `: ${job.error.code}: ${job.error.message}` : ".";
  const cli = ` (or \`cosmos-copy resume --job-name ${job.name}\`)`;
  return job.status === "Failed"
    ? `Copy job '${job.name}' ended Failed${cause} Its checkpoints are kept: fix the cause and run \`pulumi up\` again to resume it${cli}.`
    : `Copy job '${job.name}' was cancelled${cause} A cancelled job does not run again: replace the resource (\`pulumi up --replace <urn>\`) or give it another jobName to copy again.`;
}

/**
 * Waits for the job to end, showing its progress on the resource's line; anything but Completed fails. An
 * online job not asked to complete never ends alone: it is waited for until it tails the source's changes.
 */
async function waitToEnd(
  kind: Kind,
  jobs: JobControl,
  inputs: ProviderInputs,
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
    throw new JobNotCompleted(
      current.name,
      kind.outputsOf(inputs, current),
      String((error as Error).message),
    );
  }
  await engineLog.info(inputs.resourceUrn, describeProgress(ended));
  if (ended.status !== "Completed" && !isTailing(ended)) {
    throw new JobNotCompleted(ended.name, kind.outputsOf(inputs, ended), notCompletedMessage(ended));
  }
  return ended;
}

/**
 * Runs the job the inputs describe to its end (or to Paused, or an online one to tailing): starts it, or
 * takes it up where it is; `completed` cuts an online job over (asking again keeps the first cutover).
 */
async function runToEnd(
  kind: Kind,
  jobs: JobControl,
  inputs: ProviderInputs & LifecycleInputs,
  job: JobRecord,
  access: SourceAccess,
): Promise<JobRecord> {
  const going = (current: JobRecord) => current.status === "Pending" || current.status === "Running";
  if (inputs.paused) return going(job) ? jobs.pause(job.name) : job;
  if (job.status === "Paused" || job.status === "Failed") job = await jobs.resume(job.name, access);
  if (inputs.completed && job.mode === "Online" && going(job)) job = await jobs.complete(job.name, access);
  return waitToEnd(kind, jobs, inputs, job, access);
}

export async function create(inputs: ProviderInputs): Promise<pulumi.dynamic.CreateResult<ProviderOutputs>> {
  const kind = kindOf(inputs);
  return kind.withSession(inputs, async (session) => {
    // A job of this name copying the same is adopted (idempotent by name), whatever its status.
    const created = await session.create();
    const job = await runToEnd(kind, session.jobs, inputs, created, session.access);
    return { id: job.name, outs: kind.outputsOf(inputs, job) };
  });
}

/**
 * Applies what `diff` found, as the kind's change table says: new options go to the job, `paused` pauses or
 * resumes it, a job left Failed resumes, and stored inputs are simply kept in the new outputs.
 */
export async function update(
  _id: string,
  olds: ProviderOutputs,
  news: ProviderInputs,
): Promise<pulumi.dynamic.UpdateResult<ProviderOutputs>> {
  const kind = kindOf(news);
  const { changed } = diffInputs(olds, news);
  return kind.withSession(news, async ({ jobs, access }) => {
    let job = await jobs.get(news.jobName);
    if (changed.some((path) => kind.optionPaths.includes(path))) {
      job = await jobs.updateOptions(news.jobName, kind.optionsOf(news), access);
    }
    return { outs: kind.outputsOf(news, await runToEnd(kind, jobs, news, job, access)) };
  });
}

/** The job's real state for `refresh`: a deleted job record removes the resource from the stack. */
export async function read(
  id: string,
  stored: ProviderOutputs,
): Promise<pulumi.dynamic.ReadResult<ProviderOutputs>> {
  const props = currentShape(stored);
  const kind = kindOf(props);
  return kind.withSession(props, async (session) => {
    const job = await session.jobs.find(id);
    if (!job) return {};
    // A target that cannot be counted (deleted since) leaves the count out rather than failing the refresh.
    const targetCount = await session.targetCount(job).catch(() => undefined);
    return { id: job.name, props: kind.outputsOf(kind.recordedInputs(props, job), job, targetCount) };
  });
}

/** Cancels a running job and removes its record and checkpoints; the target's data is never touched. */
export async function remove(id: string, stored: ProviderOutputs): Promise<void> {
  const props = currentShape(stored);
  await kindOf(props).withSession(props, ({ jobs }) => jobs.delete(id));
}
