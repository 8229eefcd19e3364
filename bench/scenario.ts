import type { Container, Database } from "@azure/cosmos";
import { CopyJobs, type ContainerRef, type JobSpec, type Verification } from "../engine";
import { containerChecksum } from "../engine/verification";
import { createContainer, createSeededSource, targetPartitionKeyPath } from "./dataset";
import type { BenchEndpoint } from "./endpoint";

/**
 * One bench run's place in the account: its own database (named for the run, so runs against a shared
 * account never meet), the seeded source the copiers read, and the names of the jobs it created.
 */
export class Scenario {
  private readonly jobNames: string[] = [];

  private constructor(
    readonly bench: BenchEndpoint,
    readonly jobs: CopyJobs,
    readonly database: Database,
    readonly source: Container,
    /** Items in the main source. */
    readonly items: number,
    private readonly runId: string,
    private readonly throughput: number,
  ) {}

  /** `throughput` is every container's RU/s unless a target is given a budget. */
  static async create(bench: BenchEndpoint, items: number, throughput: number): Promise<Scenario> {
    const runId = Date.now().toString(36);
    const { database } = await bench.client.databases.create({ id: `cosmos-copy-bench-${runId}` });
    const source = await createSeededSource(database, "source", items, throughput);
    const jobs = CopyJobs.connect(bench.connection);
    return new Scenario(bench, jobs, database, source, items, runId, throughput);
  }

  ref(container: string): ContainerRef {
    return { database: this.database.id, container };
  }

  /** Another source, for runs that need their own size (`keepChanges`: one an online copy can tail). */
  seed(id: string, items: number, keepChanges = false): Promise<Container> {
    return createSeededSource(this.database, id, items, this.throughput, keepChanges);
  }

  /** An empty target partitioned differently from the sources; unthrottled unless given a budget. */
  target(id: string, throughput = this.throughput): Promise<Container> {
    return createContainer(this.database, id, targetPartitionKeyPath, throughput);
  }

  /** A job copying `from` into `destination`, named uniquely for this run. */
  spec(name: string, destination: Container, from: Container = this.source): JobSpec {
    const unique = `${name}-${this.runId}`;
    this.jobNames.push(unique);
    return { name: unique, source: this.ref(from.id), destination: this.ref(destination.id) };
  }

  /** The bench's own check of a copy of `from` (the main source): counts and checksums of both sides. */
  async verified(copy: Container, from: Container = this.source): Promise<Verification> {
    const started = performance.now();
    const [source, target] = await Promise.all([
      containerChecksum(from, 1000),
      containerChecksum(copy, 1000),
    ]);
    return {
      sourceCount: source.count,
      copiedCount: source.count,
      targetCount: target.count,
      sourceChecksum: source.value,
      targetChecksum: target.value,
      matched: source.count === target.count && source.value === target.value,
      mode: "full",
      durationMs: Math.round(performance.now() - started),
      verifiedAt: new Date().toISOString(),
    };
  }

  /**
   * Ends the run. A shared account is given back as it was (the run's job records, then its database); a
   * local emulator's data directory is simply removed with it.
   */
  async close(): Promise<void> {
    if (!this.bench.admin) {
      for (const name of this.jobNames) await this.jobs.delete(name).catch(() => undefined);
      await this.database.delete().catch(() => undefined);
    }
    this.jobs.dispose();
  }
}
