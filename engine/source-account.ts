import { accountEndpoint } from "./connection";
import { CopyJobError } from "./errors";
import type { AccountConnection, JobRecord, SourceAccountRecord } from "./types";

/**
 * A job's source account when it is not the job's own (cross-account copy): the job and its state live in
 * the destination account, whose workers also need the source account's credentials. These are the rules
 * for which source a job reads, and which workers and connections can read it.
 */

/**
 * The source account a spec names, as a job records it; undefined when it is the job's own account (no
 * source account given, or the same endpoint as `ownEndpoint`): the account's own workers read it.
 */
export function recordedSourceAccount(
  sourceAccount: Pick<AccountConnection, "endpoint"> | undefined,
  ownEndpoint: string,
): SourceAccountRecord | undefined {
  if (!sourceAccount) return undefined;
  const endpoint = accountEndpoint(sourceAccount.endpoint, "sourceAccount");
  return endpoint === accountEndpoint(ownEndpoint) ? undefined : { endpoint };
}

/** The endpoints of other accounts a worker can read, as its heartbeat records them. */
export function readableSources(sourceAccount: AccountConnection | undefined): string[] {
  return sourceAccount ? [accountEndpoint(sourceAccount.endpoint, "sourceAccount")] : [];
}

/** Whether a worker that can read `readable` (besides its own account) can run `job`. */
export function canReadSource(
  readable: readonly string[] | undefined,
  job: Pick<JobRecord, "sourceAccount">,
): boolean {
  return !job.sourceAccount || (readable ?? []).includes(job.sourceAccount.endpoint);
}

/** What to pass to reach a job's source account, for the fixes of the errors below. */
function sourceAccountFix(endpoint: string): string {
  return `Pass its connection: --src-endpoint ${endpoint} with --src-key-file <file> (or COSMOS_SOURCE_KEY) or --src-auth aad; in Pulumi, the resource's sourceAccount.`;
}

/**
 * The connection to a job's source account for a call that reads it or starts workers that do: undefined
 * for a same-account job; `given` when it reaches the job's source account. Refused, before anything is
 * written, when it is missing or reaches another account.
 */
export function sourceConnectionFor(
  job: Pick<JobRecord, "name" | "sourceAccount">,
  given: AccountConnection | undefined,
): AccountConnection | undefined {
  const recorded = job.sourceAccount?.endpoint;
  if (recorded === undefined) return undefined;
  if (!given) {
    throw new CopyJobError(
      "SourceAccountRequired",
      `Job '${job.name}' copies from the account at '${recorded}', and this needs that account's credentials.`,
      sourceAccountFix(recorded),
      { field: "sourceAccount" },
    );
  }
  const endpoint = accountEndpoint(given.endpoint, "sourceAccount");
  if (endpoint !== recorded) {
    throw new CopyJobError(
      "SourceAccountMismatch",
      `Job '${job.name}' copies from the account at '${recorded}', not from '${endpoint}'.`,
      sourceAccountFix(recorded),
      { field: "sourceAccount" },
    );
  }
  return given;
}

/**
 * A cross-account job waiting for workers when none that can read its source is alive and none can be
 * started here (no source credentials): said rather than waited on forever.
 */
export function noWorkerForSource(job: Pick<JobRecord, "name" | "status" | "sourceAccount">): CopyJobError {
  const endpoint = job.sourceAccount?.endpoint ?? "";
  return new CopyJobError(
    "NoWorkerForSource",
    `Job '${job.name}' is ${job.status}, and no live worker can read its source account '${endpoint}'.`,
    `Start one with the source's credentials: resume it, or run \`cosmos-copy worker --src-endpoint ${endpoint} --src-key-file <file>\` (or COSMOS_SOURCE_KEY / --src-auth aad).`,
    { field: "sourceAccount" },
  );
}
