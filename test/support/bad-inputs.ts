import type { Database } from "@azure/cosmos";
import { CopyJobs, type AccountConnection, type JobSpec } from "../../engine";
import type { TestEndpoint } from "./cosmos-endpoint";

/**
 * The bad-input table the reliability suite runs through the engine API, the Pulumi resource and the CLI.
 * Each case breaks one thing about a valid copy of `shop/orders` → `shop/orders-v2`; its error must name the
 * bad value (`names`) and the fix (`fix`), and leave every job and every item as it was.
 */
export type ConnectionFault = "wrong-key" | "unreachable" | "malformed-endpoint" | "empty-key";

export interface BadInputCase {
  name: string;
  spec: JobSpec;
  connection?: ConnectionFault;
  /** The ContainerCopyJob property `pulumi preview` must put the failure on. */
  property: string;
  names: RegExp;
  fix: RegExp;
  /** Where the CLI words it its own way (its flags instead of the spec's field names). */
  cli?: { names?: RegExp; fix?: RegExp; options?: string[] };
}

export const validSpec: JobSpec = {
  name: "bad-input-probe",
  source: { database: "shop", container: "orders" },
  destination: { database: "shop", container: "orders-v2" },
};

function withSpec(change: (spec: JobSpec) => JobSpec): JobSpec {
  return change(structuredClone(validSpec));
}

const destination = (container: string) =>
  withSpec((s) => ({ ...s, destination: { ...s.destination, container } }));
const source = (container: string) => withSpec((s) => ({ ...s, source: { ...s.source, container } }));
const options = (values: Record<string, unknown>) => withSpec((s) => ({ ...s, options: values }));
const named = (name: string) => withSpec((s) => ({ ...s, name }));
const nameFix = /use 1–100 letters, digits/;
const containerFix = /may not contain '\/', '\\', '\?' or '#'/;

export const badInputs: BadInputCase[] = [
  {
    name: "misspelt target container",
    property: "destination",
    spec: destination("orders-v2-typo"),
    names: /Owner resource does not exist.*'shop\/orders-v2-typo'/,
    fix: /Create the target container first/,
  },
  {
    name: "missing source container",
    property: "source",
    spec: source("ordrs"),
    names: /source container 'shop\/ordrs'/,
    fix: /Check the source database and container names/,
  },
  {
    name: "source is the target",
    property: "destination",
    spec: destination("orders"),
    names: /source container 'shop\/orders'/,
    fix: /copy into a new container/,
  },
  {
    name: "missing source database",
    property: "source",
    spec: withSpec((s) => ({ ...s, source: { database: "shopp", container: "orders" } })),
    names: /source database 'shopp'/,
    fix: /Check the source/,
  },
  {
    name: "missing target database",
    property: "destination",
    spec: withSpec((s) => ({ ...s, destination: { database: "archive", container: "orders-v2" } })),
    names: /destination database 'archive'/,
    fix: /Create the target container first/,
  },
  {
    name: "online copy of a source without a change feed policy",
    property: "source",
    spec: withSpec((s) => ({ ...s, mode: "Online" })),
    names: /source container 'shop\/orders'.*no change feed policy/,
    fix: /ChangeFeedPolicy\(ChangeFeedRetentionTimeSpan\.fromMinutes\(60\)\).*or copy it in Offline mode/,
  },
  {
    name: "wrong account key",
    property: "account",
    spec: validSpec,
    connection: "wrong-key",
    names: /refused the credentials \(401\)/,
    fix: /Check the key/,
  },
  {
    name: "unreachable endpoint",
    property: "account",
    spec: validSpec,
    connection: "unreachable",
    names: /127\.0\.0\.1:9/,
    fix: /Check the endpoint URL/,
  },
  {
    name: "malformed endpoint",
    property: "account",
    spec: validSpec,
    connection: "malformed-endpoint",
    names: /'not a url'/,
    fix: /Use the account's URI/,
  },
  {
    name: "empty account key",
    property: "account",
    spec: validSpec,
    connection: "empty-key",
    names: /No account key/,
    fix: /COSMOS_KEY/,
  },
  { name: "empty job name", property: "jobName", spec: named(""), names: /Job name ''/, fix: nameFix },
  {
    name: "job name with a space",
    property: "jobName",
    spec: named("my job"),
    names: /Job name 'my job'/,
    fix: nameFix,
  },
  {
    name: "job name with a slash",
    property: "jobName",
    spec: named("a/b"),
    names: /Job name 'a\/b'/,
    fix: nameFix,
  },
  {
    name: "job name over 100 characters",
    property: "jobName",
    spec: named("j".repeat(101)),
    names: /Job name 'j{101}'/,
    fix: nameFix,
  },
  {
    name: "target container with '/'",
    property: "destination",
    spec: destination("orders/v2"),
    names: /destination.container 'orders\/v2'/,
    fix: containerFix,
  },
  {
    name: "target container with '#'",
    property: "destination",
    spec: destination("orders#2"),
    names: /destination.container 'orders#2'/,
    fix: containerFix,
  },
  {
    name: "source container with '?'",
    property: "source",
    spec: source("orders?"),
    names: /source.container 'orders\?'/,
    fix: containerFix,
  },
  {
    name: "target container with a trailing space",
    property: "destination",
    spec: destination("orders-v2 "),
    names: /destination.container 'orders-v2 '/,
    fix: /remove them/,
  },
  {
    name: "empty source database",
    property: "source",
    spec: withSpec((s) => ({ ...s, source: { database: "", container: "orders" } })),
    names: /source.database is required/,
    fix: /non-empty string/,
  },
  {
    name: "target database over 255 characters",
    property: "destination",
    spec: withSpec((s) => ({ ...s, destination: { database: "d".repeat(256), container: "orders-v2" } })),
    names: /destination.database 'd{30}…'/,
    fix: /longer than 255 characters/,
  },
  {
    name: "page size 0",
    property: "pageSize",
    spec: options({ pageSize: 0 }),
    names: /pageSize 0/,
    fix: /whole number from 1 to 10000/,
    cli: { names: /--page-size <n>' argument '0'/ },
  },
  {
    name: "page size 10001",
    property: "pageSize",
    spec: options({ pageSize: 10001 }),
    names: /pageSize 10001/,
    fix: /whole number from 1 to 10000/,
    cli: { names: /--page-size <n>' argument '10001'/ },
  },
  {
    name: "fractional page size",
    property: "pageSize",
    spec: options({ pageSize: 2.5 }),
    names: /pageSize 2.5/,
    fix: /whole number from 1 to 10000/,
    cli: { names: /--page-size <n>' argument '2.5'/ },
  },
  {
    name: "page size as a string",
    property: "pageSize",
    spec: options({ pageSize: "100" }),
    names: /pageSize "100"/,
    fix: /whole number from 1 to 10000/,
    cli: { options: ["--page-size", "ten"], names: /--page-size <n>' argument 'ten'/ },
  },
  {
    name: "worker count 0",
    property: "workerCount",
    spec: options({ workerCount: 0 }),
    names: /workerCount 0/,
    fix: /whole number from 1 to 16/,
    cli: { names: /--worker-count <n>' argument '0'/ },
  },
  {
    name: "worker count 17",
    property: "workerCount",
    spec: options({ workerCount: 17 }),
    names: /workerCount 17/,
    fix: /whole number from 1 to 16/,
    cli: { names: /--worker-count <n>' argument '17'/ },
  },
  {
    name: "unknown verification mode",
    property: "verificationMode",
    spec: options({ verificationMode: "quick" }),
    names: /verificationMode "quick"/,
    fix: /use "sampled" or "full"/,
    cli: {
      options: ["--verification-mode", "quick"],
      names: /--verification-mode <mode>' argument 'quick' is invalid/,
      fix: /Allowed choices are sampled, full/,
    },
  },
  {
    name: "job name taken by another copy",
    property: "jobName",
    spec: named("taken"),
    names: /job named 'taken' already exists/,
    fix: /Choose another job name/,
  },
  {
    name: "missing destination",
    property: "destination",
    spec: withSpec((s) => ({ ...s, destination: undefined as unknown as JobSpec["destination"] })),
    names: /destination(\.database)? is required/,
    fix: /give \{ database, container \}|give the Cosmos DB name/,
    cli: { names: /required option '--dest-nosql/, fix: /not specified/ },
  },
];

/** The connection a case uses: the endpoint's own, or one broken the way the case says. */
export function connectionFor(cosmos: TestEndpoint, fault: ConnectionFault | undefined): AccountConnection {
  switch (fault) {
    case "wrong-key":
      return { endpoint: cosmos.endpoint, key: Buffer.from("not the account key").toString("base64") };
    case "unreachable":
      return { endpoint: "http://127.0.0.1:9/", key: cosmos.key };
    case "malformed-endpoint":
      return { endpoint: "not a url", key: cosmos.key };
    case "empty-key":
      return { endpoint: cosmos.endpoint, key: "" };
    default:
      return { endpoint: cosmos.endpoint, key: cosmos.key };
  }
}

/**
 * The account every bad-input suite starts from: `shop/orders` and `shop/orders-v2`, and a cancelled job
 * named `taken` that copies another way. Returns the database and a CopyJobs client on it.
 */
export async function prepareBadInputAccount(
  cosmos: TestEndpoint,
): Promise<{ database: Database; jobs: CopyJobs }> {
  const jobs = CopyJobs.connect(connectionFor(cosmos, undefined));
  const { database } = await cosmos.client.databases.create({ id: "shop" });
  await database.containers.create({ id: "orders", partitionKey: { paths: ["/pk"] }, throughput: 10000 });
  await database.containers.create({
    id: "orders-v2",
    partitionKey: { paths: ["/category"] },
    throughput: 10000,
  });
  await jobs.create(
    {
      name: "taken",
      source: { database: "shop", container: "orders-v2" },
      destination: { database: "shop", container: "orders" },
    },
    { startWorker: false },
  );
  await jobs.cancel("taken");
  return { database, jobs };
}
