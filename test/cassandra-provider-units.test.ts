import * as pulumi from "@pulumi/pulumi";
import assert from "node:assert/strict";
import {
  cassandraInputProblems,
  cassandraPropertyOfField,
  checkCassandraJob,
} from "../provider/cassandra-check";
import {
  cassandraInputChanges,
  cassandraOptionsOf,
  clusterConnectionOf,
  type CassandraInputPath,
  type CassandraJobInputs,
  type CassandraJobOutputs,
} from "../provider/cassandra-inputs";
import { cassandraKind } from "../provider/cassandra-kind";
import { containerKind } from "../provider/container-kind";
import { diffInputs, diffResult } from "../provider/diff";
import { propertyOf, type JobInputs } from "../provider/inputs";
import { kindOf } from "../provider/kinds";
import type { JobRecord } from "../engine";
import { completedOutputs, withValue } from "./support/provider-inputs";

/**
 * The CassandraTableCopyJob kind of the shared provider on its own, input by input: what each input's change
 * does to a deployed job (its change table, through `diff`), and where `check` reports each bad value that
 * needs no cluster. The cluster's own checks run against the real node in cassandra-table-copy-job.test.ts.
 */
const deployed: CassandraJobInputs = {
  api: "Cassandra",
  cluster: { contactPoints: ["127.0.0.1:9042"], localDataCenter: "datacenter1", username: "app" },
  clusterPassword: "c2VjcmV0",
  source: { keyspace: "shop", table: "orders" },
  destination: { keyspace: "shop", table: "orders_by_customer" },
  jobName: "orders-rekey",
  options: { pageSize: 500 },
  resourceUrn:
    "urn:pulumi:dev::shop::pulumi-nodejs:dynamic/pulumi-cosmos-copy:CassandraTableCopyJob::orders-rekey",
};

const outputs = (inputs: CassandraJobInputs, status = "Completed"): CassandraJobOutputs =>
  completedOutputs(inputs, status);

/** A new, valid value for each input. */
const changedValue: Record<CassandraInputPath, unknown> = {
  "cluster.contactPoints": ["10.0.0.5:9042"],
  "cluster.localDataCenter": "dc2",
  "cluster.username": "other",
  "cluster.tls": true,
  clusterPassword: "b3RoZXI=",
  source: { keyspace: "shop", table: "orders_old" },
  destination: { keyspace: "shop_v2", table: "orders" },
  jobName: "orders-rekey-2",
  "options.pageSize": 200,
  "options.workerCount": 4,
  waitForCompletion: false,
  timeoutMinutes: 30,
  paused: true,
  resourceUrn:
    "urn:pulumi:dev::shop::pulumi-nodejs:dynamic/pulumi-cosmos-copy:CassandraTableCopyJob::renamed",
};

describe("provider, Cassandra kind: diff, input by input", function () {
  it("reports nothing for the inputs the job was deployed with", function () {
    assert.deepEqual(diffResult(outputs(deployed), structuredClone(deployed)), {
      changes: false,
      replaces: [],
      deleteBeforeReplace: false,
    });
  });

  for (const [path, change] of Object.entries(cassandraInputChanges)) {
    const effect = {
      replace: "replaces the job",
      update: "updates the job in place",
      store: "is stored, the job left as it is",
    }[change];
    it(`${path}: a change ${effect}`, function () {
      const news = withValue(deployed, path, changedValue[path as CassandraInputPath]);
      assert.deepEqual(diffInputs(deployed, news).changed, [path]);
      const result = diffResult(outputs(deployed), news);
      assert.equal(result.changes, true);
      assert.deepEqual(result.replaces, change === "replace" ? [propertyOf(path)] : []);
      assert.equal(result.deleteBeforeReplace, change === "replace" && path !== "jobName");
    });
  }

  it("a destination not known yet (a table the same deployment creates) counts as changed, and replaces", function () {
    const news = withValue(deployed, "destination", { keyspace: "shop", table: pulumi.runtime.unknownValue });
    assert.deepEqual(diffResult(outputs(deployed), news).replaces, ["destination"]);
  });

  it("an option left out or given as null is the job's default, handed to the engine as undefined", function () {
    const withoutPageSize = withValue(deployed, "options", { pageSize: null });
    assert.deepEqual(diffInputs(withValue(deployed, "options", {}), withoutPageSize).changed, []);
    assert.deepEqual(diffInputs(deployed, withoutPageSize).changed, ["options.pageSize"]);
    assert.deepEqual(cassandraOptionsOf(withoutPageSize), { pageSize: undefined, workerCount: undefined });
    assert.ok(cassandraKind.optionPaths.includes("options.pageSize"));
  });

  it("a job the last `up` left Failed is an update (which resumes it), not a replacement", function () {
    const result = diffResult(outputs(deployed, "Failed"), structuredClone(deployed));
    assert.deepEqual([result.changes, result.replaces], [true, []]);
  });
});

describe("provider, Cassandra kind: check without the cluster, input by input", function () {
  it("finds nothing wrong with valid inputs", function () {
    assert.deepEqual(cassandraInputProblems(deployed), []);
    assert.deepEqual(cassandraInputProblems(withValue(deployed, "cluster.tls", { insecure: true })), []);
  });

  /** A bad value at a path, the property it must be reported on, and what the reason must say. */
  const badValues: [string, unknown, string, RegExp][] = [
    [
      "source",
      { keyspace: "shop", table: "orders-v2" },
      "source",
      /source\.table "orders-v2" is not a valid Cassandra name/,
    ],
    [
      "destination",
      { keyspace: "shop", table: "orders" },
      "destination",
      /The destination is the source table 'shop\.orders'/,
    ],
    [
      "destination",
      { keyspace: "shop" },
      "destination",
      /destination\.table undefined is not a valid Cassandra name/,
    ],
    ["jobName", "my job", "jobName", /Job name 'my job'/],
    ["options", { pageSize: 0 }, "options", /pageSize 0 is not valid: use a whole number from 1/],
    ["options", { workerCount: 17 }, "options", /workerCount 17 is not valid/],
    [
      "options",
      { targetThroughputLimit: { requestUnitsPerSecond: 1000 } },
      "options",
      /targetThroughputLimit does not apply to a Cassandra table copy \(it takes pageSize and workerCount\): leave it out/,
    ],
    ["options", 5, "options", /options 5 is not valid: give \{ pageSize\?, workerCount\? \}/],
    [
      "cluster.contactPoints",
      [],
      "cluster",
      /cluster\.contactPoints is required: list the cluster's hosts as host\[:port\]/,
    ],
    [
      "cluster.contactPoints",
      ["10.0.0.1 9042"],
      "cluster",
      /cluster\.contactPoints='10\.0\.0\.1 9042' has '10\.0\.0\.1 9042', which is not host\[:port\]/,
    ],
    [
      "cluster.contactPoints",
      ["cassandra.example.com:99999"],
      "cluster",
      /has 'cassandra\.example\.com:99999', which is not host\[:port\] \(or \[IPv6\]:port\) with a port from 1 to 65535/,
    ],
    [
      "cluster.localDataCenter",
      " ",
      "cluster",
      /cluster\.localDataCenter " " is not valid: give the name of the cluster's data center/,
    ],
    [
      "cluster.username",
      undefined,
      "cluster",
      /cluster\.password is given but cluster\.username is not: give both/,
    ],
    [
      "cluster.tls",
      "yes",
      "cluster",
      /cluster\.tls "yes" is not valid: use true, or \{ caCertificate\?, insecure\? \}/,
    ],
    [
      "cluster.tls",
      { insecure: "yes" },
      "cluster",
      /cluster\.tls\.insecure "yes" is not valid: use true or false/,
    ],
    [
      "cluster.tls",
      { caCertificate: "not a certificate" },
      "cluster",
      /cluster\.tls\.caCertificate is not a PEM certificate/,
    ],
    ["timeoutMinutes", -1, "timeoutMinutes", /timeoutMinutes -1 is not valid/],
    [
      "waitForCompletion",
      "no",
      "waitForCompletion",
      /waitForCompletion "no" is not valid: use true or false/,
    ],
    ["paused", 1, "paused", /paused 1 is not valid: use true or false/],
  ];
  for (const [path, value, property, reason] of badValues) {
    it(`${path} ${JSON.stringify(value)}: reported on '${property}'`, function () {
      const failures = cassandraInputProblems(withValue(deployed, path, value));
      assert.equal(failures.length, 1, JSON.stringify(failures));
      assert.equal(failures[0].property, property);
      assert.match(failures[0].reason, reason);
    });
  }

  it("does not judge a value not known yet", function () {
    const pending = withValue(deployed, "destination", {
      keyspace: "shop",
      table: pulumi.runtime.unknownValue,
    });
    assert.deepEqual(cassandraInputProblems(pending), []);
    assert.deepEqual(cassandraInputProblems(withValue(deployed, "jobName", pulumi.runtime.unknownValue)), []);
  });

  it("puts errors from the engine on the property they are about", function () {
    assert.equal(cassandraPropertyOfField("name"), "jobName");
    assert.equal(cassandraPropertyOfField("account"), "cluster");
    assert.equal(cassandraPropertyOfField("source.keyspace"), "source");
    assert.equal(cassandraPropertyOfField("destination"), "destination");
    assert.equal(cassandraPropertyOfField("pageSize"), "options");
    assert.equal(cassandraPropertyOfField("sourceThroughputLimit"), "options");
    assert.equal(cassandraPropertyOfField(undefined), "");
  });

  it("an unreachable cluster is reported on 'cluster', in the resource's terms rather than the CLI's variables", async function () {
    const result = await checkCassandraJob({}, withValue(deployed, "cluster.contactPoints", ["127.0.0.1:9"]));
    assert.equal(result.failures?.length, 1, JSON.stringify(result.failures));
    assert.equal(result.failures?.[0].property, "cluster");
    assert.match(result.failures?.[0].reason ?? "", /Cannot reach the Cassandra cluster at 127\.0\.0\.1:9/);
    assert.match(result.failures?.[0].reason ?? "", /set cluster\.contactPoints to a running cluster's/);
    assert.doesNotMatch(result.failures?.[0].reason ?? "", /CASSANDRA_/);
  });
});

describe("provider: one provider, two kinds", function () {
  it("a bag with api 'Cassandra' is a CassandraTableCopyJob's; any other (every bag stored before) a ContainerCopyJob's", function () {
    assert.equal(kindOf(deployed), cassandraKind);
    const container = {
      account: { endpoint: "https://acct.documents.azure.com:443/" },
      source: { database: "shop", container: "orders" },
      destination: { database: "shop", container: "orders-v2" },
      jobName: "orders-migration",
    } as JobInputs;
    assert.equal(kindOf(container), containerKind);
  });

  it("the cluster's connection: the password only with a user name, TLS on with true, a single node's data center by default", function () {
    assert.deepEqual(clusterConnectionOf(deployed), {
      contactPoints: ["127.0.0.1:9042"],
      localDataCenter: "datacenter1",
      username: "app",
      password: "c2VjcmV0",
    });
    const bare = withValue(
      withValue(deployed, "cluster", { contactPoints: ["db:9042"], tls: true }),
      "clusterPassword",
      undefined,
    );
    assert.deepEqual(clusterConnectionOf(bare), {
      contactPoints: ["db:9042"],
      localDataCenter: "datacenter1",
      tls: {},
    });
  });

  it("refresh reads a job record's tables back in the SDK's shape, and reports the job's state", function () {
    const job = {
      name: "orders-rekey",
      api: "Cassandra",
      source: { database: "shop", container: "orders" },
      destination: { database: "shop", container: "orders_v3" },
      mode: "Offline",
      status: "Running",
      processedCount: 5,
      totalCount: 0,
      createdAt: "2026-12-01T00:00:00.000Z",
    } as JobRecord;
    const read = cassandraKind.outputsOf(cassandraKind.recordedInputs(deployed, job), job);
    assert.deepEqual(read.destination, { keyspace: "shop", table: "orders_v3" });
    assert.deepEqual([read.status, read.processedCount, read.createdAt], ["Running", 5, job.createdAt]);
    assert.ok(!("mode" in read) && !("completedAt" in read), JSON.stringify(read));
  });
});
