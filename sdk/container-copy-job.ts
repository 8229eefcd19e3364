import * as pulumi from "@pulumi/pulumi";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { copyJobProvider } from "../provider/dynamic-provider";
import type { JobInputs, JobOutputs, TransformInputs } from "../provider/inputs";
import { fieldOf, resourceType, typeModule } from "./resource-type";
import type {
  JobError,
  JobMode,
  OnlinePhase,
  ThroughputLimit,
  TransformSpec,
  Verification,
  VerificationMode,
} from "../engine";

const typeName = "ContainerCopyJob";
/** The type token stacks show: `pulumi-nodejs:dynamic/pulumi-cosmos-copy:ContainerCopyJob`. */
export const containerCopyJobType = resourceType(typeName);
/** The token of versions before 0.2, which every dynamic resource shares. */
const legacyType = "pulumi-nodejs:dynamic:Resource";

/** How the job reaches the Cosmos DB account. */
export interface AccountArgs {
  /** The account endpoint, e.g. `https://myaccount.documents.azure.com:443/`. */
  endpoint: pulumi.Input<string>;
  /** The account key. Stored as a Pulumi secret; never logged. Omit it to use `useAzureCredential`. */
  key?: pulumi.Input<string>;
  /** Sign in with `DefaultAzureCredential` (Entra ID) instead of a key. */
  useAzureCredential?: boolean;
  /** PEM of a certificate to trust, such as a local emulator's self-signed one. */
  caCertificate?: pulumi.Input<string>;
  /** Skip TLS verification. Only for a local emulator; never the default. */
  insecureTls?: boolean;
}

/** A container in the account. */
export interface ContainerArgs {
  database: pulumi.Input<string>;
  container: pulumi.Input<string>;
}

export interface ContainerCopyJobArgs {
  /**
   * The account holding the destination (and the source, unless `sourceAccount` names another); the job
   * and its state live in its `__datatransferstate` database.
   */
  account: pulumi.Input<AccountArgs>;
  /**
   * The account the source container is in, when it is another than `account` (a cross-account copy). Its
   * key is stored as a Pulumi secret, as `account.key` is, and handed to the job's workers, never to the job
   * record. Another endpoint replaces the job.
   */
  sourceAccount?: pulumi.Input<AccountArgs>;
  /** The container to copy from. It is read, never written. */
  source: pulumi.Input<ContainerArgs>;
  /**
   * The container to copy into; it must exist. Pass the target resource's name as an Output (e.g.
   * `target.name`) so the job waits for it, and `preview` checks it.
   */
  destination: pulumi.Input<ContainerArgs>;
  /** The job's name in the account; defaults to the resource name, so it is stable across updates. */
  jobName?: pulumi.Input<string>;
  /**
   * "Offline" (the default): the source must not be written to while the job runs; `up` waits for the copy
   * to end. "Online": the application keeps writing; the job copies what the source holds, then applies its
   * changes (creates, replaces, deletes) until `completed` is set, and `up` returns once it tails them (the
   * job keeps running in its workers). The source needs a change feed policy (on Azure, an account with
   * continuous backup). A change replaces the job.
   */
  mode?: pulumi.Input<JobMode>;
  /**
   * Online jobs only: the cutover. Stop the application's writes to the source, then set it to true: the
   * `up` that does so (an in-place update) has the job apply every change made before it, verify the
   * destination against the source, and waits for it to end Completed (as `waitForCompletion` and
   * `timeoutMinutes` say). Refused on an offline job, which completes on its own.
   */
  completed?: pulumi.Input<boolean>;
  /** Wait for the copy to end during `pulumi up` (default true); a failed copy fails the update. */
  waitForCompletion?: pulumi.Input<boolean>;
  /** How long `up` waits before giving up (the job keeps running; the next `up` adopts it). */
  timeoutMinutes?: pulumi.Input<number>;
  /** Workers the job wants (1–16, default 1). */
  workerCount?: pulumi.Input<number>;
  /** Items per change-feed page and checkpoint (1–10,000, default 1,000). */
  pageSize?: pulumi.Input<number>;
  /**
   * The most RU/s the copy's writes may spend in the destination: `{ requestUnitsPerSecond: 1500 }` or
   * `{ percentOfProvisioned: 25 }` (of its manual RU/s, autoscale maximum or database's shared offer).
   * Default: all of the destination's throughput.
   */
  targetThroughputLimit?: pulumi.Input<ThroughputLimit>;
  /** The most RU/s the copy's change-feed reads may spend in the source, as above. Default: no cap. */
  sourceThroughputLimit?: pulumi.Input<ThroughputLimit>;
  /**
   * The closing check (default "sampled"): exact counts of source, copy and destination plus a sample of
   * items compared body by body; "full" also reads the whole destination once more and compares checksums
   * of every item, which costs the destination's size in reads.
   */
  verificationMode?: pulumi.Input<VerificationMode>;
  /**
   * A function each source item goes through before it is written: a module (CommonJS `.js`/`.cjs`, or
   * `.mjs`) and its export (default `transform`), `(item) => item | undefined`, returning the item to write
   * (e.g. with a derived synthetic partition key) or undefined to skip it. The path is resolved against the
   * program's directory. A change, or an edit of the module file, replaces the job.
   */
  transform?: pulumi.Input<TransformSpec>;
  /** Pause the job (an in-place update); set back to false to resume it. */
  paused?: pulumi.Input<boolean>;
}

/**
 * The transform as the provider gets it: an absolute path, and the file's hash so that an edited module is
 * a change (none when it cannot be read: the provider's check then names the path).
 */
function transformInputs(transform: TransformSpec | undefined): TransformInputs | undefined {
  if (!transform) return undefined;
  const module = path.resolve(transform.module);
  let sha256: string | undefined;
  try {
    sha256 = createHash("sha256").update(fs.readFileSync(module)).digest("hex");
  } catch {
    sha256 = undefined;
  }
  return { module, exportName: transform.exportName, sha256 };
}

/** An account argument as the provider stores it: its fields, and its key apart and secret. */
function accountInputs(account: pulumi.Input<AccountArgs>) {
  const field = <K extends keyof AccountArgs>(name: K) => fieldOf(account, name);
  const key = field("key");
  return {
    fields: {
      endpoint: field("endpoint"),
      authentication: pulumi
        .output(field("useAzureCredential"))
        .apply((useAzureCredential) => (useAzureCredential ? "azure-credential" : "key")),
      caCertificate: field("caCertificate"),
      insecureTls: field("insecureTls"),
    },
    key: key === undefined ? undefined : pulumi.secret(key),
  };
}

/**
 * A container copy job: copies every item of a source container into a new target container (to change a
 * partition key, unique keys, throughput mode or name), offline or online, like Azure's `az cosmosdb copy`.
 *
 * `pulumi preview` checks names and that both containers exist; `up` starts the job and waits for it (an
 * online job until it tails the source's changes; `completed: true` cuts it over); `refresh` shows the
 * job's real state; `destroy` cancels it and removes its record, never any data.
 */
export class ContainerCopyJob extends pulumi.dynamic.Resource {
  /** The job's name in the account. */
  declare readonly jobName: pulumi.Output<string>;
  /** Pending, Running, Paused, Completed, Failed or Cancelled. */
  declare readonly status: pulumi.Output<string>;
  /** Items copied so far. */
  declare readonly processedCount: pulumi.Output<number>;
  /** Items the job's transform skipped (not written, not in processedCount). */
  declare readonly skippedCount: pulumi.Output<number | undefined>;
  /** Items in the source when the job started. */
  declare readonly totalCount: pulumi.Output<number>;
  /** Why the job failed, if it did. */
  declare readonly error: pulumi.Output<JobError | undefined>;
  /** What the closing check compared (counts, and a sample or checksums of every item) and found. */
  declare readonly verification: pulumi.Output<Verification | undefined>;
  /** When the job was created (ISO 8601). */
  declare readonly createdAt: pulumi.Output<string>;
  /** When the job ended (ISO 8601), if it has. */
  declare readonly completedAt: pulumi.Output<string | undefined>;
  /** Items in the target at the last refresh; differs from processedCount if the target changed since. */
  declare readonly targetItemCount: pulumi.Output<number | undefined>;
  /** Offline or Online. */
  declare readonly mode: pulumi.Output<string>;
  /** Online jobs: InitialCopy, Tailing (applying the source's changes until `completed`) or Completing. */
  declare readonly phase: pulumi.Output<OnlinePhase | undefined>;
  /** Online jobs: changes (creates, replaces, deletes) applied from the source's all-versions feed. */
  declare readonly appliedChanges: pulumi.Output<number | undefined>;
  /** Online jobs, once tailing: changes the destination has not applied yet (an estimate), at the last read. */
  declare readonly lagChanges: pulumi.Output<number | undefined>;
  /** Online jobs, once tailing: the age in seconds of the oldest change not applied yet, at the last read. */
  declare readonly lagSeconds: pulumi.Output<number | undefined>;
  /**
   * What the analysis before the copy warned about and left to you: settings the copy does not carry over
   * (TTL, indexing, unique keys), a target that held items already, items without the new key's value.
   */
  declare readonly preflightWarnings: pulumi.Output<string[] | undefined>;

  constructor(name: string, args: ContainerCopyJobArgs, opts?: pulumi.CustomResourceOptions) {
    const account = accountInputs(args.account);
    const sourceAccount = args.sourceAccount === undefined ? undefined : accountInputs(args.sourceAccount);
    const inputs: Record<keyof JobInputs, pulumi.Input<unknown>> = {
      account: account.fields,
      accountKey: account.key,
      sourceAccount: sourceAccount?.fields,
      sourceAccountKey: sourceAccount?.key,
      source: args.source,
      destination: args.destination,
      jobName: args.jobName ?? name,
      mode: args.mode,
      completed: args.completed,
      waitForCompletion: args.waitForCompletion,
      timeoutMinutes: args.timeoutMinutes,
      workerCount: args.workerCount,
      pageSize: args.pageSize,
      targetThroughputLimit: args.targetThroughputLimit,
      sourceThroughputLimit: args.sourceThroughputLimit,
      verificationMode: args.verificationMode,
      transform: args.transform && pulumi.output(args.transform).apply(transformInputs),
      paused: args.paused,
      resourceUrn: pulumi.createUrn(name, containerCopyJobType, opts?.parent),
    };
    const outputs: Record<Exclude<keyof JobOutputs, keyof JobInputs>, undefined> = {
      status: undefined,
      processedCount: undefined,
      skippedCount: undefined,
      totalCount: undefined,
      error: undefined,
      verification: undefined,
      createdAt: undefined,
      completedAt: undefined,
      targetItemCount: undefined,
      phase: undefined,
      appliedChanges: undefined,
      lagChanges: undefined,
      lagSeconds: undefined,
      preflightWarnings: undefined,
    };
    super(
      copyJobProvider,
      name,
      { ...inputs, ...outputs },
      {
        ...opts,
        // Stacks deployed before the type had a name hold the job as a plain dynamic resource: the alias makes
        // `up` update it in place instead of replacing (deleting and recopying) it.
        aliases: [...(opts?.aliases ?? []), { type: legacyType }],
        additionalSecretOutputs: [...(opts?.additionalSecretOutputs ?? []), "accountKey", "sourceAccountKey"],
      },
      typeModule,
      typeName,
    );
  }
}
