import type * as pulumi from "@pulumi/pulumi";
import { describePlan, jobSpecProblems, type CopyPlan, type JobSpec } from "../engine";
import { resolveTransform } from "../engine/item-transform";
import type { CopyAnalysis } from "../engine/preflight-analysis";
import {
  certificateProblem,
  failureOf as failureOnProperty,
  knownFailures,
  lifecycleProblems,
  type Failure,
} from "./check-failures";
import { withJobs } from "./connect";
import { engineLog } from "./engine-log";
import { diffByTable } from "./input-diff";
import {
  inputChanges,
  inputDefaults,
  isUnknown,
  specOf,
  specShapeOf,
  type AccountInputs,
  type JobInputs,
} from "./inputs";

/**
 * A ContainerCopyJob's `check`: what `pulumi preview` catches before anything is copied. Every failure is
 * put on the property the user must change (`source`, `destination`, `account`, `jobName`, an option).
 */

/** The resource property an engine error is about; "" (the resource as a whole) when it names none. */
export function propertyOfField(field: string | undefined): string {
  const head = field?.split(".")[0] ?? "";
  return head === "name" ? "jobName" : head;
}

function failureOf(error: unknown): Failure {
  return failureOnProperty(error, propertyOfField);
}

const authentications = ["key", "azure-credential"];

/** An account's own fields (`account`'s, or `sourceAccount`'s): problems found here are that property's. */
function accountProblems(
  property: "account" | "sourceAccount",
  account: AccountInputs | undefined,
): string[] {
  if (!account?.endpoint) {
    return [
      `${property}.endpoint is required: give the account's URI, e.g. https://myaccount.documents.azure.com:443/.`,
    ];
  }
  const problems: string[] = [];
  if (account.authentication !== undefined && !authentications.includes(account.authentication)) {
    problems.push(
      `${property} authentication ${JSON.stringify(account.authentication)} is not valid: use "key" or "azure-credential".`,
    );
  }
  if (account.insecureTls !== undefined && typeof account.insecureTls !== "boolean") {
    problems.push(
      `${property}.insecureTls ${JSON.stringify(account.insecureTls)} is not valid: use true or false.`,
    );
  }
  const certificate =
    account.caCertificate && certificateProblem(`${property}.caCertificate`, account.caCertificate);
  if (certificate) problems.push(certificate);
  return problems;
}

/** Problems found without reaching the account; inputs not known yet (during preview) are not judged. */
export function inputProblems(news: JobInputs): Failure[] {
  const failures: Failure[] = jobSpecProblems(specShapeOf(news), news.account?.endpoint).map((problem) => ({
    property: propertyOfField(problem.field),
    reason: problem.message,
  }));
  failures.push(
    ...accountProblems("account", news.account).map((reason) => ({ property: "account", reason })),
  );
  // The endpoint's form is the spec's check (above); the rest of the source account's fields are these.
  if (news.sourceAccount?.endpoint) {
    failures.push(
      ...accountProblems("sourceAccount", news.sourceAccount).map((reason) => ({
        property: "sourceAccount",
        reason,
      })),
    );
  }
  failures.push(...lifecycleProblems(news));
  // An offline job completes on its own: a cutover input on one would promise something nothing does.
  if (typeof news.completed === "boolean" && (news.mode ?? "Offline") === "Offline") {
    failures.push({
      property: "completed",
      reason: `completed ${JSON.stringify(news.completed)} applies only to a job with mode "Online" (the cutover of an online copy); this job is Offline and completes on its own: remove completed, or set mode: "Online".`,
    });
  }
  return knownFailures(news, failures);
}

/**
 * The inputs the account checks need, known. The destination may be unknown: a target created by the same
 * deployment is not known until it exists, and the source side is checked and planned without it.
 */
function accountChecksPossible(news: JobInputs): boolean {
  return ![
    news.account,
    news.accountKey,
    news.sourceAccount,
    news.sourceAccountKey,
    news.source,
    news.jobName,
  ].some(isUnknown);
}

/**
 * Plans this provider process has shown, by resource and spec: Pulumi checks a replacement twice (with
 * the old inputs, then without), and one plan is enough; and `create` then keeps the plan's analysis
 * instead of reading the whole source again (see `plannedAnalysis`).
 */
const plannedCopies = new Map<string, CopyPlan>();

function planKeyOf(resourceUrn: string | undefined, spec: JobSpec): string {
  return JSON.stringify([resourceUrn, spec]);
}

/** The preflight analysis this process's check made of this resource's copy of `spec`, if it made one. */
export function plannedAnalysis(resourceUrn: string | undefined, spec: JobSpec): CopyAnalysis | undefined {
  return plannedCopies.get(planKeyOf(resourceUrn, spec))?.analysis;
}

/**
 * The checks that need the account: everything `create` checks, and for a new or replacing copy its plan
 * (items, size, estimated RU and time), shown on the resource where `pulumi preview` prints it. With the
 * destination not known yet, the source side only, and a plan whose time assumes a rate.
 */
async function checkAgainstAccount(olds: JobInputs | Record<string, never>, news: JobInputs): Promise<void> {
  const spec = await specOf(news);
  const options = { owner: news.resourceUrn };
  const targetPending = isUnknown(news.destination);
  const planKey = planKeyOf(news.resourceUrn, spec);
  await withJobs(news, async (jobs) => {
    if (!isNewCopy(olds, news) || plannedCopies.has(planKey)) {
      if (!targetPending) await jobs.preflight(spec, options);
      return;
    }
    const plan = targetPending
      ? await jobs.planBeforeTarget(
          { name: spec.name, source: spec.source, sourceAccount: spec.sourceAccount, options: spec.options },
          options,
        )
      : await jobs.plan(spec, options);
    plannedCopies.set(planKey, plan);
    await engineLog.info(news.resourceUrn, `plan: ${describePlan(plan)}`);
    for (const warning of plan.analysis?.warnings ?? []) await engineLog.warn(news.resourceUrn, warning);
  });
}

/** The transform loads and exports a function (checked without the account, so even before it is known). */
async function transformProblems(news: JobInputs): Promise<Failure[]> {
  const { transform } = specShapeOf(news);
  if (!transform || isUnknown(news.transform)) return [];
  return resolveTransform(transform).then(
    () => [],
    (error: unknown) => [failureOf(error)],
  );
}

export async function check(
  olds: JobInputs | Record<string, never>,
  news: JobInputs,
): Promise<pulumi.dynamic.CheckResult<JobInputs>> {
  const failures = inputProblems(news);
  if (failures.length === 0) failures.push(...(await transformProblems(news)));
  if (failures.length === 0 && accountChecksPossible(news)) {
    try {
      await checkAgainstAccount(olds, news);
    } catch (error) {
      failures.push(failureOf(error));
    }
  }
  return { inputs: news, failures };
}

/** A job that does not exist yet, or is about to be replaced: the one a plan is worth making for. */
function isNewCopy(olds: JobInputs | Record<string, never>, news: JobInputs): boolean {
  return (
    Object.keys(olds).length === 0 ||
    diffByTable(olds, news, { inputChanges, inputDefaults }).replaces.length > 0
  );
}
