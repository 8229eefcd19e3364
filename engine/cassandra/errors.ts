import { ownerResourceMissing, type CopyJobError } from "../errors";

/**
 * A Cassandra keyspace or table a job names that does not exist, worded as the service words a missing
 * owner resource (see `ownerResourceMissing`), so callers branch on the same code whatever the API.
 */
export function tableResourceMissing(
  role: "source" | "destination",
  what: "keyspace" | "table",
  lookedUp: string,
): CopyJobError {
  const fix =
    role === "destination"
      ? `Create the target ${what === "keyspace" ? "keyspace and table" : "table"} first, with the partition key you want (in a Pulumi program pass the table resource's name as an Output so the job waits for it).`
      : "Check the source keyspace and table names (they are case-sensitive: names created without quotes are lower case).";
  return ownerResourceMissing(role, what, lookedUp, fix);
}
