import type { ContainerDefinition, CosmosClient } from "@azure/cosmos";
import { setTimeout as sleep } from "node:timers/promises";
import { isDeepStrictEqual } from "node:util";
import { createCosmosClient } from "./connection";
import { planCopy, type CopyPlan } from "./copy-plan";
import { CopyJobError, explainConnectionError, ownerResourceMissing, serviceStatus } from "./errors";
import { resolveTransform, runnableTransform, type TransformRecord } from "./item-transform";
import { removeJob, requestTransition, resumeRefusal } from "./job-lifecycle";
import { analysisRefusal, analyzeCopy, summaryOf, type CopyAnalysis } from "./preflight-analysis";
import { reopenRanges, restartRanges } from "./job-ranges";
import { CosmosStateStore, updateJob, type StateStore } from "./state-store";
import { jobThroughput, provisionedThroughput, resolveLimit } from "./throughput-budget";
import { ThroughputPacer } from "./throughput-pacer";
import {
  terminalStatuses,
  type AccountConnection,
  type ContainerRef,
  type CopyOptions,
  type JobRecord,
  type JobSpec,
} from "./types";
import { validateJobSpec, validateSourceSide, type ValidJobSpec } from "./validation";
import { countItems } from "./verification";
import { ensureWorkers } from "./worker-process";

/**
 * The copy-job API the Pulumi provider and the CLI share: create (idempotent by name), inspect, pause,
 * resume, cancel, delete and wait. It validates everything before it writes anything.
 */
export interface PreflightOptions {
  /**
   * Who asks (see `JobRecord.owner`): a job of the same name that this owner manages does not count as
   * taking the name, since only its owner replaces it (Pulumi checks a replacement before deleting the old).
   */
  owner?: string;
  /**
   * The size past which the analysis flags a logical partition of the target (default: the service's
   * 20 GB). Lower it to see partitions approaching the limit.
   */
  logicalPartitionLimitBytes?: number;
}

export interface CreateOptions extends PreflightOptions {
  /** Start background worker processes until the job's `workerCount` are alive (default true). */
  startWorker?: boolean;
}

export interface WaitOptions {
  timeoutMs?: number;
  pollIntervalMs?: number;
  onProgress?: (job: JobRecord) => void;
  /** While the job is Pending, start background workers whenever fewer than it wants are alive (default false). */
  startWorkerIfNone?: boolean;
  /** Stop waiting once this holds of the job, ended or not (e.g. `isTailing`: an online job never ends alone). */
  until?: (job: JobRecord) => boolean;
}

const workerCheckIntervalMs = 5_000;

/**
 * A spec `preflight` has passed: its transform loaded and recorded as the job keeps it, with both
 * containers' definitions as it read them.
 */
export type CheckedSpec = Omit<ValidJobSpec, "transform"> & {
  transform?: TransformRecord;
  definitions: { source: ContainerDefinition; destination: ContainerDefinition };
};

function sameContainer(a: ContainerRef, b: ContainerRef): boolean {
  return a.database === b.database && a.container === b.container;
}

/** The same module file (by its content) and export, or no transform on either side. */
function sameTransform(a: TransformRecord | undefined, b: TransformRecord | undefined): boolean {
  return a?.module === b?.module && a?.exportName === b?.exportName && a?.sha256 === b?.sha256;
}

/** The spec with its transform, if any, checked by loading it, as the job would record it. */
async function withTransform<Spec extends Pick<JobSpec, "transform">>(
  spec: Spec,
): Promise<Omit<Spec, "transform"> & { transform?: TransformRecord }> {
  return { ...spec, transform: spec.transform && (await resolveTransform(spec.transform)) };
}

/**
 * A job name is one copy: the same name for other containers, in the other mode, or through another
 * transform, is refused (the same spec is idempotent).
 */
function refuseOtherCopy(
  existing: JobRecord,
  wanted: Pick<JobSpec, "source" | "mode"> & { destination?: ContainerRef; transform?: TransformRecord },
): void {
  // Without a destination (not created yet) the existing job cannot be copying into it: another copy.
  if (
    wanted.destination &&
    sameContainer(existing.source, wanted.source) &&
    sameContainer(existing.destination, wanted.destination) &&
    existing.mode === (wanted.mode ?? "Offline") &&
    sameTransform(existing.transform, wanted.transform)
  )
    return;
  const through = existing.transform
    ? ` through the transform '${existing.transform.exportName}' of '${existing.transform.module}' (sha256 ${existing.transform.sha256})`
    : "";
  throw new CopyJobError(
    "JobNameInUse",
    `A job named '${existing.name}' already exists and copies ${existing.source.database}/${existing.source.container} → ${existing.destination.database}/${existing.destination.container} in ${existing.mode} mode${through}.`,
    "Choose another job name, or delete the existing job first.",
    { field: "name" },
  );
}

export class CopyJobs {
  private store: StateStore | undefined;

  private constructor(
    private readonly connection: AccountConnection,
    readonly client: CosmosClient,
  ) {}

  static connect(connection: AccountConnection): CopyJobs {
    return new CopyJobs(connection, createCosmosClient(connection));
  }

  dispose(): void {
    this.client.dispose();
  }

  /** The state database, created on first use; failing to reach the account is explained here. */
  private async state(): Promise<StateStore> {
    try {
      this.store ??= await CosmosStateStore.open(this.client);
    } catch (error) {
      throw explainConnectionError(error, this.connection.endpoint);
    }
    return this.store;
  }

  /** The state database if it exists, for read-only calls that must not create it. */
  private async existingState(): Promise<StateStore | undefined> {
    try {
      this.store ??= await CosmosStateStore.openExisting(this.client);
      return this.store;
    } catch (error) {
      throw explainConnectionError(error, this.connection.endpoint);
    }
  }

  /** Looks a container up; a missing database or container is reported as the service's 1003. */
  private async requireContainer(
    role: "source" | "destination",
    ref: ContainerRef,
  ): Promise<ContainerDefinition | undefined> {
    try {
      await this.client.database(ref.database).read();
    } catch (error) {
      if (serviceStatus(error)?.code === 404) throw ownerResourceMissing(role, "database", ref.database);
      throw error;
    }
    try {
      return (await this.client.database(ref.database).container(ref.container).read()).resource;
    } catch (error) {
      if (serviceStatus(error)?.code === 404) {
        throw ownerResourceMissing(role, "container", `${ref.database}/${ref.container}`);
      }
      throw error;
    }
  }

  /** A cap given as a share of provisioned throughput needs a container that has some. */
  private async checkThroughputLimits(spec: ValidJobSpec): Promise<void> {
    const sides = [
      ["targetThroughputLimit", spec.destination],
      ["sourceThroughputLimit", spec.source],
    ] as const;
    for (const [field, ref] of sides) {
      const limit = spec.options[field];
      if (!limit || !("percentOfProvisioned" in limit)) continue;
      const container = this.client.database(ref.database).container(ref.container);
      resolveLimit(limit, await provisionedThroughput(container), { field, container: ref });
    }
  }

  /**
   * An online copy reads the source's all-versions-and-deletes change feed, which the service keeps only for
   * a container with a change feed policy (a retention): without one, no change made during the copy could
   * be replayed.
   */
  private checkChangeFeedPolicy(spec: ValidJobSpec, sourceDefinition: ContainerDefinition | undefined): void {
    if (spec.mode !== "Online") return;
    const { source } = spec;
    const retention = sourceDefinition?.changeFeedPolicy?.retentionDuration;
    if (typeof retention === "number" && retention > 0) return;
    throw new CopyJobError(
      "ChangeFeedPolicyRequired",
      `An online copy needs the source container '${source.database}/${source.container}' to keep its all-versions-and-deletes change feed, and it has no change feed policy (retention).`,
      "Give it a change feed policy with a retention longer than the copy's first pass (in @azure/cosmos: `changeFeedPolicy: new ChangeFeedPolicy(ChangeFeedRetentionTimeSpan.fromMinutes(60))` on the container; on Azure the account also needs continuous backup), or copy it in Offline mode with the application stopped.",
      { field: "source" },
    );
  }

  /**
   * Everything checked before the source is read: the spec's shape, the transform (its module loads and
   * exports a function), that both containers exist, the source's change feed policy for an online copy,
   * the caps, the name.
   */
  async preflight(spec: JobSpec, options: PreflightOptions = {}): Promise<CheckedSpec> {
    const valid = await withTransform(validateJobSpec(spec));
    let definitions: CheckedSpec["definitions"];
    try {
      const source = await this.requireContainer("source", valid.source);
      const destination = await this.requireContainer("destination", valid.destination);
      definitions = {
        source: source as ContainerDefinition,
        destination: destination as ContainerDefinition,
      };
      this.checkChangeFeedPolicy(valid, source);
      await this.checkThroughputLimits(valid);
    } catch (error) {
      throw explainConnectionError(error, this.connection.endpoint);
    }
    await this.checkName(valid, options);
    return { ...valid, definitions };
  }

  /**
   * Reads the source once to find what would break the copy under the target's settings (see
   * preflight-analysis.ts), under the job's cap on source reads; blocking problems are thrown.
   */
  private async analyze(spec: CheckedSpec, options: PreflightOptions): Promise<CopyAnalysis> {
    const container = (ref: ContainerRef) => this.client.database(ref.database).container(ref.container);
    const [source, target] = [container(spec.source), container(spec.destination)];
    let analysis: CopyAnalysis;
    try {
      const { readCap } = await jobThroughput(spec, source, target);
      analysis = await analyzeCopy({
        source,
        sourceDefinition: spec.definitions.source,
        target,
        targetDefinition: spec.definitions.destination,
        transform:
          spec.transform &&
          (await runnableTransform(spec.transform, spec.name, spec.definitions.source.partitionKey)),
        pageSize: spec.options.pageSize,
        readPacer: readCap === undefined ? undefined : new ThroughputPacer(readCap),
        logicalPartitionLimitBytes: options.logicalPartitionLimitBytes,
      });
    } catch (error) {
      throw explainConnectionError(error, this.connection.endpoint);
    }
    const refusal = analysisRefusal(analysis);
    if (refusal) throw refusal;
    return analysis;
  }

  /** A name is one copy: taken by another copy, it is refused, unless its owner asks (see `owner`). */
  private async checkName(
    wanted: Pick<JobSpec, "name" | "source" | "mode"> & {
      destination?: ContainerRef;
      transform?: TransformRecord;
    },
    options: PreflightOptions,
  ): Promise<void> {
    const existing = await (await this.existingState())?.getJob(wanted.name);
    if (existing && !(options.owner && existing.owner === options.owner)) refuseOtherCopy(existing, wanted);
  }

  /**
   * What `create` would copy and roughly what it would cost (see CopyPlan). It refuses what `create`
   * refuses, and writes nothing: not even the state database.
   */
  async plan(spec: JobSpec, options: PreflightOptions = {}): Promise<CopyPlan> {
    const valid = await this.preflight(spec, options);
    const analysis = await this.analyze(valid, options);
    try {
      return { ...(await planCopy(this.client, valid)), analysis };
    } catch (error) {
      throw explainConnectionError(error, this.connection.endpoint);
    }
  }

  /**
   * The plan of a copy whose target does not exist yet, because the deployment that starts the job also
   * creates it (a Pulumi preview of both): the name, the source and the options are checked and the source
   * measured as `plan` does; the time assumes a rate, and says so (`assumedRequestUnitsPerSecond`).
   */
  async planBeforeTarget(
    spec: Omit<JobSpec, "destination">,
    options: PreflightOptions = {},
  ): Promise<CopyPlan> {
    const valid = await withTransform(validateSourceSide(spec));
    try {
      await this.requireContainer("source", valid.source);
      await this.checkName(valid, options);
      return await planCopy(this.client, valid);
    } catch (error) {
      throw explainConnectionError(error, this.connection.endpoint);
    }
  }

  /**
   * Checks the spec and analyses the copy (see `analyze`), then records the job, which the workers start
   * from. Idempotent by name: the same spec again returns the existing job (without analysing it again).
   * The analysis's warnings are kept on the job (`preflight`), where `show` and the Pulumi resource see them.
   */
  async create(spec: JobSpec, options: CreateOptions = {}): Promise<JobRecord> {
    const valid = await this.preflight(spec, options);
    const existing = await (await this.existingState())?.getJob(valid.name);
    if (existing) refuseOtherCopy(existing, valid);
    const analysis = existing ? undefined : await this.analyze(valid, options);
    const store = await this.state();
    const now = new Date().toISOString();
    const job: JobRecord = {
      id: valid.name,
      name: valid.name,
      source: valid.source,
      destination: valid.destination,
      mode: valid.mode,
      ...(valid.mode === "Online" ? { online: { phase: "InitialCopy", appliedChanges: 0 } } : {}),
      status: "Pending",
      options: valid.options,
      ...(valid.transform ? { transform: valid.transform } : {}),
      processedCount: 0,
      skippedCount: 0,
      totalCount: 0,
      workerCount: 0,
      processedByWorker: {},
      createdAt: now,
      lastUpdatedUtcTime: now,
      durationMs: 0,
      owner: options.owner,
      ...(analysis ? { preflight: summaryOf(analysis, now) } : {}),
    };
    const created = (await store.insertJob(job)) ?? (await store.getJob(valid.name));
    if (!created) {
      throw new CopyJobError("JobNotFound", `Job '${valid.name}' vanished while it was being created.`);
    }
    refuseOtherCopy(created, valid);
    if (options.startWorker !== false && !terminalStatuses.includes(created.status)) {
      await ensureWorkers(store, this.connection, created.options.workerCount);
    }
    return created;
  }

  async find(name: string): Promise<JobRecord | undefined> {
    const store = await this.existingState();
    return store?.getJob(name);
  }

  async get(name: string): Promise<JobRecord> {
    const job = await this.find(name);
    if (!job) {
      throw new CopyJobError(
        "JobNotFound",
        `No copy job named '${name}' exists in this account.`,
        "List jobs to see their names.",
      );
    }
    return job;
  }

  async list(): Promise<JobRecord[]> {
    const store = await this.existingState();
    return store ? store.listJobs() : [];
  }

  private async transition(name: string, to: "Paused" | "Cancelled"): Promise<JobRecord> {
    await this.get(name);
    return requestTransition(await this.state(), name, to);
  }

  pause(name: string): Promise<JobRecord> {
    return this.transition(name, "Paused");
  }

  /**
   * A paused job, or a failed one whose cause is fixed, queues again and carries on (see `resumePoint`); as
   * the oldest unfinished job it runs as soon as the slot is free. A failed job that cannot carry on is
   * refused with nothing written.
   */
  async resume(name: string, options: CreateOptions = {}): Promise<JobRecord> {
    const job = await this.get(name);
    const store = await this.state();
    if (job.status === "Failed") {
      const from = await this.resumePoint(store, job);
      // An online job's ranges read on anyway: the first pass where it stopped, then the changes since.
      if (from === "checkpoints" && job.mode === "Offline") await reopenRanges(store, name);
      else {
        await restartRanges(store, name);
        await updateJob(store, name, (current) => ({
          ...current,
          processedCount: 0,
          skippedCount: 0,
          processedByWorker: {},
        }));
      }
    }
    const resumed = await requestTransition(store, name, "Pending");
    if (options.startWorker !== false) {
      await ensureWorkers(store, this.connection, resumed.options.workerCount);
    }
    return resumed;
  }

  /**
   * Where a failed job carries on from. Refused after a failover, and while a container is missing. From its
   * checkpoints when the target holds at least the items they count as copied into it (its own, or restored
   * ones); from the start when it holds fewer: a target deleted and created again lost them, and carrying
   * on from the checkpoints would leave it short.
   */
  private async resumePoint(store: StateStore, job: JobRecord): Promise<"checkpoints" | "start"> {
    const refusal = resumeRefusal(job);
    if (refusal) throw refusal;
    const { destination } = job;
    let held: number;
    try {
      await this.requireContainer("source", job.source);
      await this.requireContainer("destination", destination);
      held = await countItems(this.client.database(destination.database).container(destination.container));
    } catch (error) {
      throw explainConnectionError(error, this.connection.endpoint);
    }
    const copied = (await store.listRanges(job.name)).reduce((sum, range) => sum + range.processedCount, 0);
    return held >= copied ? "checkpoints" : "start";
  }

  /**
   * Changes a job's tuning in place: page size, workers, throughput caps, verification mode. Workers running
   * it notice at their next poll and restart their part from the checkpoints with the new options; more
   * workers are started if it now wants more than are alive (fewer takes effect as workers are started
   * again). A job that has ended keeps what it ran with. "full" verification needs the checksums a copy
   * keeps from its first page, so it cannot be chosen once the job has started.
   */
  async updateOptions(name: string, options: Partial<CopyOptions>): Promise<JobRecord> {
    const job = await this.get(name);
    const valid = validateJobSpec({ ...job, options: { ...job.options, ...options } });
    await this.checkThroughputLimits(valid);
    let refusal: CopyJobError | undefined;
    const updated = await updateJob(await this.state(), name, (current) => {
      if (terminalStatuses.includes(current.status) || isDeepStrictEqual(current.options, valid.options))
        return undefined;
      if (
        valid.options.verificationMode === "full" &&
        current.options.verificationMode !== "full" &&
        current.startedAt !== undefined
      ) {
        refusal = new CopyJobError(
          "InvalidTransition",
          `Cannot change job '${name}' to verificationMode "full": it started copying without the checksums that mode compares.`,
          'Keep "sampled", or copy again under a new job name with "full".',
          { field: "verificationMode" },
        );
        return undefined;
      }
      return { ...current, options: valid.options };
    });
    if (refusal) throw refusal;
    const result = updated ?? job;
    if (result.status === "Pending" || result.status === "Running")
      await ensureWorkers(await this.state(), this.connection, result.options.workerCount);
    return result;
  }

  cancel(name: string): Promise<JobRecord> {
    return this.transition(name, "Cancelled");
  }

  /**
   * The cutover of an online job: its ranges apply every change the source logged before now, then the job
   * verifies the target against the source and ends (`wait` for it). Stop the application's writes to the
   * source first: a change made after this is not copied, and fails the closing check. Asking again keeps
   * the first time asked. Offline jobs complete on their own. Starts background workers if fewer than the
   * job wants are alive (unless `startWorker` is false).
   */
  async complete(name: string, options: Pick<CreateOptions, "startWorker"> = {}): Promise<JobRecord> {
    const job = await this.get(name);
    if (job.mode !== "Online") {
      throw new CopyJobError(
        "InvalidTransition",
        `Cannot complete job '${name}': it runs in ${job.mode} mode, which completes on its own when every item is copied.`,
        "Use `show` to watch it; `complete` applies only to Online jobs.",
      );
    }
    if (job.status !== "Pending" && job.status !== "Running") {
      throw new CopyJobError(
        "InvalidTransition",
        `Cannot complete job '${name}': it is ${job.status}. Only a job that is Pending or Running can be completed.`,
        job.status === "Paused" ? `Resume it first: resume ${name}.` : undefined,
      );
    }
    const now = new Date().toISOString();
    const updated = await updateJob(await this.state(), name, (current) => {
      if (current.online?.completeRequestedAt) return undefined;
      if (current.status !== "Pending" && current.status !== "Running") return undefined;
      const online = current.online ?? { phase: "InitialCopy", appliedChanges: 0 };
      return { ...current, online: { ...online, phase: "Completing", completeRequestedAt: now } };
    });
    // Workers serve the account and may have stopped since the job started (a machine restarted): without
    // one, the cutover would wait forever.
    if (options.startWorker !== false) {
      await ensureWorkers(await this.state(), this.connection, job.options.workerCount);
    }
    return updated ?? (await this.get(name));
  }

  /** Cancels the job if it is still going, then removes its record and checkpoints. Never touches data. */
  async delete(name: string): Promise<boolean> {
    const store = await this.existingState();
    if (!store || !(await store.getJob(name))) return false;
    return removeJob(store, name);
  }

  /** Polls the job's record until it ends (or `until` holds); returns it whatever its status. */
  async wait(name: string, options: WaitOptions = {}): Promise<JobRecord> {
    const deadline = Date.now() + (options.timeoutMs ?? Infinity);
    let workerCheckedAt = Date.now();
    for (;;) {
      const job = await this.get(name);
      options.onProgress?.(job);
      if (terminalStatuses.includes(job.status) || options.until?.(job)) return job;
      // A worker that crashed, or went idle just as the job was created, leaves it Pending: start another.
      if (
        options.startWorkerIfNone &&
        job.status === "Pending" &&
        Date.now() - workerCheckedAt >= workerCheckIntervalMs
      ) {
        workerCheckedAt = Date.now();
        await ensureWorkers(await this.state(), this.connection, job.options.workerCount);
      }
      if (Date.now() >= deadline) {
        throw new CopyJobError(
          "WaitTimedOut",
          `Job '${name}' is still ${job.status} (${job.processedCount}/${job.totalCount} items) after waiting ${options.timeoutMs} ms; it keeps running.`,
        );
      }
      await sleep(options.pollIntervalMs ?? 1000);
    }
  }
}
