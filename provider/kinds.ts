import { cassandraKind } from "./cassandra-kind";
import { isCassandraInputs, type CassandraJobInputs, type CassandraJobOutputs } from "./cassandra-inputs";
import { containerKind } from "./container-kind";
import type { JobInputs, JobOutputs } from "./inputs";
import type { CopyKind } from "./kind";

/** The property bag of any resource the provider serves. */
export type ProviderInputs = JobInputs | CassandraJobInputs;
export type ProviderOutputs = JobOutputs | CassandraJobOutputs;

/**
 * The kind of job a property bag is: a CassandraTableCopyJob's says so (`api: "Cassandra"`); any other is a
 * ContainerCopyJob's, as every bag stored before the Cassandra kind existed is.
 */
export function kindOf(bag: ProviderInputs): CopyKind<ProviderInputs, ProviderOutputs> {
  // Each kind's hooks take bags of their own only: this is where a bag is matched to its kind.
  return isCassandraInputs(bag) ? cassandraKind : containerKind;
}
