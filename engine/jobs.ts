import type { ContainerDefinition, CosmosClient } from "@azure/cosmos";
import { createCosmosClient } from "./connection";
import { planCopy, type CopyPlan } from "./copy-plan";
import {
  CopyJobError,
  explainConnectionError,
  ownerResourceMissing,
  serviceStatus,
  type AccountRole,
} from "./errors";
import { resolveTransform, runnableTransform, type TransformRecord } from "./item-transform";
import { JobControl, newJobRecord, type StartOptions } from "./job-control";
import { refuseOtherCopy, type CopyIdentity } from "./job-identity";
import { resumeRefusal } from "./job-lifecycle";
import { analysisRefusal, analyzeCopy, summaryOf, type CopyAnalysis } from "./preflight-analysis";
import { recordedSourceAccount } from "./source-account";
import { CosmosStateStore, type StateStore } from "./state-store";
import { jobThroughput, provisionedThroughput, resolveLimit } from "./throughput-budget";
import { ThroughputPacer } from "./throughput-pacer";
import {
  type AccountConnection,
  type ContainerRef,
  type CopyOptions,
  type JobRecord,
  type JobSpec,
  type SourceAccountRecord,
} from "./types";
import { validateJobSpec, validateSourceSide, type ValidSpec } from "./validation";
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

export interface CreateOptions extends PreflightOptions, StartOptions {
  /**
   * The analysis `plan` made of this same spec moments ago (the Pulumi provider's check plans a copy just
   * before its create): kept instead of reading the whole source a second time. Its blocking problems still
   * refuse; what changed in the source since is caught by the copy's inserts (see insert-conflicts.ts).
   */
  analysis?: CopyAnalysis;
}

/**
 * A spec `preflight` has passed: its transform loaded and recorded as the job keeps it, with both
 * containers' definitions as it read them.
 */
export type CheckedSpec = Omit<ValidSpec<JobSpec>, "transform"> & {
  transform?: TransformRecord;
  definitions: { source: ContainerDefinition; destination: ContainerDefinition };
};

/** The spec with its transform, if any, checked by loading it, as the job would record it. */
async function withTransform<Spec extends Pick<JobSpec, "transform">>(
  spec: Spec,
): Promise<Omit<Spec, "transform"> & { transform?: TransformRecord }> {
  return { ...spec, transform: spec.transform && (await resolveTransform(spec.transform)) };
}

/** Looks a container up; a missing database or container is reported as the service's 1003. */
async function requireContainer(
  client: CosmosClient,
  role: "source" | "destination",
  ref: ContainerRef,
): Promise<ContainerDefinition | undefined> {
  try {
    await client.database(ref.database).read();
  } catch (error) {
    if (serviceStatus(error)?.code === 404) throw ownerResourceMissing(role, "database", ref.database);
    throw error;
  }
  try {
    return (await client.database(ref.database).container(ref.container).read()).resource;
  } catch (error) {
    if (serviceStatus(error)?.code === 404) {
      throw ownerResourceMissing(role, "container", `${ref.database}/${ref.container}`);
    }
    throw error;
  }
}

/** A cap given as a share of provisioned throughput needs a container that has some. */
async function checkThroughputLimit(
  client: CosmosClient,
  field: "targetThroughputLimit" | "sourceThroughputLimit",
  ref: ContainerRef,
  options: CopyOptions,
): Promise<void> {
  const limit = options[field];
  if (!limit || !("percentOfProvisioned" in limit)) return;
  const container = client.database(ref.database).container(ref.container);
  resolveLimit(limit, await provisionedThroughput(container), { field, container: ref });
}

export class CopyJobs extends JobControl {
  protected readonly place = "account";
  private store: StateStore | undefined;
  /** Clients of the source accounts of cross-account calls, by connection; disposed with this one. */
  private readonly sourceClients = new Map<AccountConnection, CosmosClient>();

  private constructor(
    private readonly connection: AccountConnection,
    readonly client: CosmosClient,
  ) {
    super();
  }

  static connect(connection: AccountConnection): CopyJobs {
    return new CopyJobs(connection, createCosmosClient(connection));
  }

  dispose(): void {
    this.client.dispose();
    for (const client of this.sourceClients.values()) client.dispose();
  }

  /** `work` with a client of one account, a failure to reach it explained as that account's. */
  private async reach<T>(
    client: CosmosClient,
    endpoint: string,
    role: AccountRole,
    work: (client: CosmosClient) => Promise<T>,
  ): Promise<T> {
    try {
      return await work(client);
    } catch (error) {
      throw explainConnectionError(error, endpoint, role);
    }
  }

  /** `work` with this account's client (the job's state and target). */
  private onOwnAccount<T>(work: (client: CosmosClient) => Promise<T>): Promise<T> {
    return this.reach(this.client, this.connection.endpoint, "account", work);
  }

  /**
   * `work` with a client of the source's account: `sourceAccount`'s for a cross-account copy, this account's
   * when there is none (see `otherAccount`).
   */
  private onSourceAccount<T>(
    sourceAccount: AccountConnection | undefined,
    work: (client: CosmosClient) => Promise<T>,
  ): Promise<T> {
    if (!sourceAccount) return this.onOwnAccount(work);
    let client = this.sourceClients.get(sourceAccount);
    if (!client) {
      client = createCosmosClient(sourceAccount, "sourceAccount");
      this.sourceClients.set(sourceAccount, client);
    }
    return this.reach(client, sourceAccount.endpoint, "sourceAccount", work);
  }

  /** A spec's source account if it is another account than this one: one with this endpoint is this one. */
  private otherAccount(sourceAccount: AccountConnection | undefined): AccountConnection | undefined {
    return recordedSourceAccount(sourceAccount, this.connection.endpoint) ? sourceAccount : undefined;
  }

  /** What a job records of its spec's source account (nothing for a source in this account). */
  private sourceRecord(sourceAccount: AccountConnection | undefined): SourceAccountRecord | undefined {
    return recordedSourceAccount(sourceAccount, this.connection.endpoint);
  }

  /** The state database, created on first use; failing to reach the account is explained here. */
  protected async state(): Promise<StateStore> {
    try {
      this.store ??= await CosmosStateStore.open(this.client);
    } catch (error) {
      throw explainConnectionError(error, this.connection.endpoint);
    }
    return this.store;
  }

  /** The state database if it exists, for read-only calls that must not create it. */
  protected async existingState(): Promise<StateStore | undefined> {
    try {
      this.store ??= await CosmosStateStore.openExisting(this.client);
      return this.store;
    } catch (error) {
      throw explainConnectionError(error, this.connection.endpoint);
    }
  }

  /** Both caps of a spec, each against its own side's account. */
  private async checkThroughputLimits(
    spec: ValidSpec<JobSpec>,
    sourceAccount: AccountConnection | undefined,
  ): Promise<void> {
    await this.onOwnAccount((client) =>
      checkThroughputLimit(client, "targetThroughputLimit", spec.destination, spec.options),
    );
    await this.onSourceAccount(sourceAccount, (client) =>
      checkThroughputLimit(client, "sourceThroughputLimit", spec.source, spec.options),
    );
  }

  /**
   * An online copy reads the source's all-versions-and-deletes change feed, which the service keeps only for
   * a container with a change feed policy (a retention): without one, no change made during the copy could
   * be replayed.
   */
  private checkChangeFeedPolicy(
    spec: ValidSpec<JobSpec>,
    sourceDefinition: ContainerDefinition | undefined,
  ): void {
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
   * exports a function), that both containers exist (the source
   * in its own account when it is another), the source's change feed policy for an online copy, the caps
   * (each against its side's account), the name. The spec comes back with defaults filled in, the
   * containers' definitions, and without a `sourceAccount` that is this account.
   */
  async preflight(spec: JobSpec, options: PreflightOptions = {}): Promise<CheckedSpec> {
    const valid = await withTransform(validateJobSpec(spec, this.connection.endpoint));
    const sourceAccount = this.otherAccount(valid.sourceAccount);
    const source = await this.onSourceAccount(sourceAccount, (client) =>
      requireContainer(client, "source", valid.source),
    );
    const destination = await this.onOwnAccount((client) =>
      requireContainer(client, "destination", valid.destination),
    );
    this.checkChangeFeedPolicy(valid, source);
    await this.checkThroughputLimits(valid, sourceAccount);
    await this.checkName({ ...valid, sourceAccount: this.sourceRecord(sourceAccount) }, options);
    return {
      ...valid,
      sourceAccount,
      definitions: {
        source: source as ContainerDefinition,
        destination: destination as ContainerDefinition,
      },
    };
  }

  /**
   * Reads the source once to find what would break the copy under the target's settings (see
   * preflight-analysis.ts), under the job's cap on source reads; blocking problems are thrown.
   */
  private async analyze(spec: CheckedSpec, options: PreflightOptions): Promise<CopyAnalysis> {
    // Both accounts were just reached (preflight): what fails now is most likely the source's reads.
    const analysis = await this.onSourceAccount(spec.sourceAccount, async (sourceClient) => {
      const source = sourceClient.database(spec.source.database).container(spec.source.container);
      const target = this.client.database(spec.destination.database).container(spec.destination.container);
      const { readCap } = await jobThroughput(spec, source, target);
      return analyzeCopy({
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
    });
    const refusal = analysisRefusal(analysis);
    if (refusal) throw refusal;
    return analysis;
  }

  /** A name is one copy: taken by another copy, it is refused, unless its owner asks (see `owner`). */
  private async checkName(wanted: CopyIdentity & { name: string }, options: PreflightOptions): Promise<void> {
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
    const plan = await this.onSourceAccount(valid.sourceAccount, (source) =>
      planCopy(source, this.client, valid),
    );
    return { ...plan, analysis };
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
    const sourceAccount = this.otherAccount(valid.sourceAccount);
    await this.onSourceAccount(sourceAccount, (client) => requireContainer(client, "source", valid.source));
    await this.checkName({ ...valid, sourceAccount: this.sourceRecord(sourceAccount) }, options);
    return this.onSourceAccount(sourceAccount, (source) =>
      planCopy(source, this.client, { ...valid, sourceAccount }),
    );
  }

  /**
   * Checks the spec and analyses the copy (see `analyze`), then records the job, which the workers start
   * from. Idempotent by name: the same spec again returns the existing job (without analysing it again).
   * The analysis's warnings are kept on the job (`preflight`), where `show` and the Pulumi resource see them.
   */
  async create(spec: JobSpec, options: CreateOptions = {}): Promise<JobRecord> {
    const valid = await this.preflight(spec, options);
    const sourceAccount = this.sourceRecord(valid.sourceAccount);
    const existing = await (await this.existingState())?.getJob(valid.name);
    if (existing) refuseOtherCopy(existing, { ...valid, sourceAccount });
    const analysis = existing ? undefined : (options.analysis ?? (await this.analyze(valid, options)));
    const refusal = analysis && analysisRefusal(analysis);
    if (refusal) throw refusal;
    const store = await this.state();
    const createdAt = new Date().toISOString();
    const job = newJobRecord(
      {
        name: valid.name,
        source: valid.source,
        destination: valid.destination,
        ...(sourceAccount ? { sourceAccount } : {}),
        mode: valid.mode,
        ...(valid.mode === "Online" ? { online: { phase: "InitialCopy", appliedChanges: 0 } } : {}),
        options: valid.options,
        ...(valid.transform ? { transform: valid.transform } : {}),
        owner: options.owner,
        ...(analysis ? { preflight: summaryOf(analysis, createdAt) } : {}),
      },
      createdAt,
    );
    return this.recordNewJob(store, job, options, valid.sourceAccount);
  }

  /**
   * Where a failed job carries on from. Refused after a failover, and while a container is missing. From its
   * checkpoints when the target holds at least the items they count as copied into it (its own, or restored
   * ones); from the start when it holds fewer: a target deleted and created again lost them, and carrying
   * on from the checkpoints would leave it short.
   */
  protected async resumePoint(
    store: StateStore,
    job: JobRecord,
    sourceAccount: AccountConnection | undefined,
  ): Promise<"checkpoints" | "start"> {
    const refusal = resumeRefusal(job);
    if (refusal) throw refusal;
    const { destination } = job;
    await this.onSourceAccount(sourceAccount, (client) => requireContainer(client, "source", job.source));
    const held = await this.onOwnAccount(async (client) => {
      await requireContainer(client, "destination", destination);
      return countItems(client.database(destination.database).container(destination.container));
    });
    const copied = (await store.listRanges(job.name)).reduce((sum, range) => sum + range.processedCount, 0);
    return held >= copied ? "checkpoints" : "start";
  }

  /** The spec's options checked as `create` checks them, caps against both sides' accounts. */
  protected async validOptions(
    job: JobRecord,
    options: CopyOptions,
    sourceAccount: AccountConnection | undefined,
  ): Promise<CopyOptions> {
    const valid = validateJobSpec({ ...job, options }, this.connection.endpoint);
    await this.checkThroughputLimits({ ...valid, sourceAccount }, sourceAccount);
    return valid.options;
  }

  protected async startWorkers(
    store: StateStore,
    job: JobRecord,
    sourceAccount: AccountConnection | undefined,
  ): Promise<void> {
    await ensureWorkers(store, this.connection, job, sourceAccount);
  }
}
