import { CopyJobError } from "./errors";
import type { TransformRecord } from "./item-transform";
import type { ContainerRef, JobMode, JobRecord, SourceAccountRecord } from "./types";

function sameContainer(a: ContainerRef, b: ContainerRef): boolean {
  return a.database === b.database && a.container === b.container;
}

/** What makes a job one copy: its containers, its source's account, its mode and its transform. */
export interface CopyIdentity {
  source: ContainerRef;
  /** Undefined: not created yet, so no existing job copies into it. */
  destination?: ContainerRef;
  sourceAccount?: SourceAccountRecord;
  mode: JobMode;
  transform?: TransformRecord;
}

/** The same module file (by its content) and export, or no transform on either side. */
function sameTransform(a: TransformRecord | undefined, b: TransformRecord | undefined): boolean {
  return a?.module === b?.module && a?.exportName === b?.exportName && a?.sha256 === b?.sha256;
}

/**
 * A job name is one copy: the same name for other containers, another source account, in the other mode,
 * or through another transform, is refused (the same spec is idempotent).
 */
export function refuseOtherCopy(existing: JobRecord, wanted: CopyIdentity): void {
  if (
    wanted.destination &&
    sameContainer(existing.source, wanted.source) &&
    sameContainer(existing.destination, wanted.destination) &&
    existing.sourceAccount?.endpoint === wanted.sourceAccount?.endpoint &&
    existing.mode === wanted.mode &&
    sameTransform(existing.transform, wanted.transform)
  )
    return;
  const from = existing.sourceAccount ? ` from the account at '${existing.sourceAccount.endpoint}'` : "";
  const through = existing.transform
    ? ` through the transform '${existing.transform.exportName}' of '${existing.transform.module}' (sha256 ${existing.transform.sha256})`
    : "";
  throw new CopyJobError(
    "JobNameInUse",
    `A job named '${existing.name}' already exists and copies ${existing.source.database}/${existing.source.container}${from} → ${existing.destination.database}/${existing.destination.container} in ${existing.mode} mode${through}.`,
    "Choose another job name, or delete the existing job first.",
    { field: "name" },
  );
}
