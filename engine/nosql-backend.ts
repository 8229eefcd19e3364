import { ChangeFeedStartFrom, type Container, type CosmosClient } from "@azure/cosmos";
import type { PartitionKeyDefinition } from "../partitioning/effective-partition-key";
import { AdaptiveConcurrency } from "./adaptive-concurrency";
import { BulkWriter } from "./bulk-writer";
import { FeedRangeReader } from "./change-feed-reader";
import { createCosmosClient, readWriteRegion } from "./connection";
import type { CopyBackend, JobData, JobDataContext, JobPacers, RangeRunEnvironment } from "./copy-backend";
import { describeError } from "./errors";
import { InsertSink } from "./insert-sink";
import { runnableTransform, type ItemTransform } from "./item-transform";
import { feedRangeOf, syncRangeRecords, type FeedRanges } from "./job-ranges";
import type { Lease } from "./lease-manager";
import { diagnoseMismatch, type DiagnosisInput } from "./mismatch-diagnosis";
import { copyRange } from "./range-copy";
import { tailRange } from "./range-tail";
import { withRetries } from "./retry";
import { canReadSource, readableSources } from "./source-account";
import { CosmosStateStore, type StateStore } from "./state-store";
import { TargetRanges } from "./target-ranges";
import { jobThroughput } from "./throughput-budget";
import { ThroughputPacer } from "./throughput-pacer";
import type { AccountConnection, JobError, JobRecord, RangeRecord, Verification } from "./types";
import { countItems, verifyCopy } from "./verification";

/**
 * The NoSQL backend: jobs of a Cosmos DB account, their state in its `__datatransferstate` database, their
 * sources read from the change feed per feed range, their targets written by bulk inserts. A worker given
 * another account's connection (`sourceAccount`) also runs the cross-account jobs that copy from it.
 */
export class NoSqlBackend implements CopyBackend {
  private readonly client: CosmosClient;
  private readonly sourceClient: CosmosClient | undefined;
  readonly readableSources: string[];

  constructor(connection: AccountConnection, sourceAccount?: AccountConnection) {
    this.client = createCosmosClient(connection);
    this.readableSources = readableSources(sourceAccount);
    this.sourceClient = sourceAccount && createCosmosClient(sourceAccount, "sourceAccount");
  }

  openState(): Promise<StateStore> {
    return CosmosStateStore.open(this.client);
  }

  canRun(job: JobRecord): boolean {
    return canReadSource(this.readableSources, job);
  }

  /** The job's write region and its source's item count. */
  async startingFields(job: JobRecord): Promise<Partial<JobRecord>> {
    const [writeRegion, totalCount] = await Promise.all([
      withRetries(() => readWriteRegion(this.client)),
      countItems(this.containersOf(job).source),
    ]);
    return { writeRegion, totalCount };
  }

  async openJob(job: JobRecord, context: JobDataContext): Promise<JobData> {
    const { source, target } = this.containersOf(job);
    const [feedRanges, pacers, targetRanges, sourceKey] = await Promise.all([
      syncRangeRecords(context.store, job, source, context.clock.now()),
      pacersFor(job, source, target),
      TargetRanges.load(target),
      partitionKeyDefinitionOf(source),
    ]);
    const transform = job.transform && (await runnableTransform(job.transform, job.name, sourceKey));
    return new NoSqlJobData(this.client, job, context, {
      source,
      target,
      sourceKey,
      targetRanges,
      feedRanges,
      pacers,
      transform,
    });
  }

  async dispose(): Promise<void> {
    this.client.dispose();
    this.sourceClient?.dispose();
  }

  /** The job's containers; a cross-account job's source through the source account's client (see `canRun`). */
  private containersOf(job: JobRecord): { source: Container; target: Container } {
    const sourceClient = job.sourceAccount ? (this.sourceClient as CosmosClient) : this.client;
    return {
      source: sourceClient.database(job.source.database).container(job.source.container),
      target: this.client.database(job.destination.database).container(job.destination.container),
    };
  }
}

async function partitionKeyDefinitionOf(container: Container): Promise<PartitionKeyDefinition> {
  const { resource } = await withRetries(() => container.read());
  return resource?.partitionKey as PartitionKeyDefinition;
}

/** Pacers at the rates the job may spend: provisioned throughput read up front, under the job's caps. */
async function pacersFor(job: JobRecord, source: Container, target: Container): Promise<JobPacers> {
  const { writeCeiling, readCap } = await jobThroughput(job, source, target);
  return {
    writeCeiling,
    write: new ThroughputPacer(writeCeiling),
    read: readCap === undefined ? undefined : new ThroughputPacer(readCap),
    readCeiling: readCap,
  };
}

interface NoSqlJobParts {
  source: Container;
  target: Container;
  sourceKey: PartitionKeyDefinition;
  /** The target's key comes with its ranges; an online job's changes name items by the source's. */
  targetRanges: TargetRanges;
  feedRanges: FeedRanges;
  pacers: JobPacers;
  /** Loaded once per run (refused if its module file changed since the job was created). */
  transform?: ItemTransform;
}

class NoSqlJobData implements JobData {
  readonly pacers: JobPacers;
  private readonly writer: BulkWriter;
  private readonly targetKey: PartitionKeyDefinition;

  constructor(
    private readonly client: CosmosClient,
    private readonly job: JobRecord,
    private readonly context: JobDataContext,
    private readonly parts: NoSqlJobParts,
  ) {
    this.pacers = parts.pacers;
    this.writer = new BulkWriter(
      parts.target,
      new AdaptiveConcurrency(),
      parts.pacers.write,
      parts.targetRanges,
    );
    this.targetKey = parts.targetRanges.definition as PartitionKeyDefinition;
  }

  async syncRanges(now: number): Promise<void> {
    this.parts.feedRanges = await syncRangeRecords(this.context.store, this.job, this.parts.source, now);
  }

  runRange(range: RangeRecord, lease: Lease, env: RangeRunEnvironment): Promise<string> | undefined {
    const { source, target, sourceKey, transform, pacers } = this.parts;
    const { pageSize, verificationMode } = this.job.options;
    if (range.drained) {
      return tailRange(
        {
          source,
          sourceKey,
          target,
          targetKey: this.targetKey,
          writer: this.writer,
          leases: env.leases,
          pageSize,
          transform,
          readPacer: pacers.read,
          cutover: env.cutover,
          // How long a caught-up range waits before reading the source's changes again.
          idleMs: this.context.changesPollIntervalMs,
          signal: env.signal,
          handOver: env.handOver,
        },
        lease,
      );
    }
    const { continuation } = lease.record;
    const feedRange = feedRangeOf(this.parts.feedRanges, range);
    // Split before its first checkpoint: its children's records replace it when the ranges are synced.
    if (!continuation && !feedRange) return undefined;
    const startFrom = continuation
      ? ChangeFeedStartFrom.Continuation(continuation)
      : ChangeFeedStartFrom.Beginning(feedRange);
    return copyRange(
      {
        ...env,
        reader: new FeedRangeReader(source, startFrom, pageSize),
        sink: new InsertSink(
          { target, targetKey: this.targetKey, sourceKey, writer: this.writer },
          transform,
        ),
        checksums: verificationMode === "full",
        readPacer: pacers.read,
      },
      lease,
    );
  }

  /**
   * The job's own account is watched (its state and target: the writes). A cross-account job's source is
   * only read, its change feed carries on across its failover, and what a forced failover lost there the
   * closing check counts.
   */
  async checkHealth(job: JobRecord): Promise<JobError | undefined> {
    const region = await withRetries(() => readWriteRegion(this.client));
    if (!job.writeRegion || region === job.writeRegion) return undefined;
    return {
      code: "WriteRegionChanged",
      message: `The account's write region changed from '${job.writeRegion}' to '${region}' while job ${job.name} ran. A copy job cannot continue across a failover: delete this job and create it again.`,
    };
  }

  /**
   * The target against the source through the job's transform; a check that fails is followed by finding
   * what differs. The closing reads count against the job's caps too, at the whole of them now (pacers of
   * their own: the writers' may still be backed off from a 429, or hold a worker's small share).
   */
  async verify(job: JobRecord, ranges: RangeRecord[], log: (line: string) => void): Promise<Verification> {
    const { source, target, transform, pacers } = this.parts;
    const { verificationMode, pageSize } = job.options;
    const targetPacer = new ThroughputPacer(pacers.writeCeiling);
    const sourcePacer =
      pacers.readCeiling === undefined ? undefined : new ThroughputPacer(pacers.readCeiling);
    const checked = await verifyCopy(
      verificationMode,
      source,
      target,
      ranges,
      pageSize,
      targetPacer,
      job.mode,
      transform,
    );
    if (checked.matched) return checked;
    const input = {
      source,
      target,
      targetKey: this.targetKey,
      sourcePacer,
      targetPacer,
      transform,
      pageSize,
    };
    return withDifferences(checked, input, log);
  }
}

/**
 * A failed check with what differs item by item. Finding it reads both sides whole; if that fails the check
 * is kept as it was (its message then gives the counts only).
 */
async function withDifferences(
  verification: Verification,
  input: DiagnosisInput,
  log: (line: string) => void,
): Promise<Verification> {
  try {
    const differences = await diagnoseMismatch(input);
    log(`found what differs in ${differences.requestCharge} RU`);
    return { ...verification, differences };
  } catch (error) {
    log(`could not find what differs: ${describeError(error).message}`);
    return verification;
  }
}
