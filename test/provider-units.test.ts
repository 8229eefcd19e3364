import * as pulumi from "@pulumi/pulumi";
import assert from "node:assert/strict";
import { CopyJobError } from "../engine";
import { ownerResourceMissing } from "../engine/errors";
import { check, inputProblems, propertyOfField } from "../provider/check";
import { diffInputs, diffResult } from "../provider/diff";
import {
  currentShape,
  inputChanges,
  inputPaths,
  propertyOf,
  type InputPath,
  type JobInputs,
  type JobOutputs,
} from "../provider/inputs";
import { completedOutputs, withValue } from "./support/provider-inputs";

/**
 * The provider's `check` and `diff` on their own, input by input: what each input's change does to a
 * deployed job (the `inputChanges` table, through `diff`) and where each bad value is reported (`check`'s
 * checks that need no account; those that do are run through a real `pulumi preview` in the bad-input
 * suite). The tables below are typed over every input, so a new input without a case does not compile.
 */
/** A self-signed certificate (`openssl req -x509`), for the one input that must parse as one. */
const certificate = `-----BEGIN CERTIFICATE-----
MIIBfDCCASOgAwIBAgIUG5URUVVF8sszZ2QGwEOHzRSHsj4wCgYIKoZIzj0EAwIw
FDESMBAGA1UEAwwJbG9jYWxob3N0MB4XDTI2MTIwMTA5MjkzN1oXDTM2MTEyODA5
MjkzN1owFDESMBAGA1UEAwwJbG9jYWxob3N0MFkwEwYHKoZIzj0CAQYIKoZIzj0D
AQcDQgAEyGNke/uE1xrE8i69m9qE/gbqR80jwk9o9vKfCbbSIYMuJv+xu/1iDg6I
CD+AmnnLOP+0uBjRpZXqwDoDdp4VEqNTMFEwHQYDVR0OBBYEFBf6wx3MFn/x/oPg
nvWzRsrjKeNrMB8GA1UdIwQYMBaAFBf6wx3MFn/x/oPgnvWzRsrjKeNrMA8GA1Ud
EwEB/wQFMAMBAf8wCgYIKoZIzj0EAwIDRwAwRAIgUvEk2pDdBVDFTnr727xX5lnA
kwglnfExUwnis1jy3aUCIFo8dWBB2AM1QJfNnaECJybfJm3dsm4VaAygwEnw53QT
-----END CERTIFICATE-----`;

const deployed: JobInputs = {
  account: { endpoint: "https://acct.documents.azure.com:443/", authentication: "key" },
  accountKey: "a2V5",
  source: { database: "shop", container: "orders" },
  destination: { database: "shop", container: "orders-v2" },
  jobName: "orders-migration",
  resourceUrn:
    "urn:pulumi:dev::shop::pulumi-nodejs:dynamic/pulumi-cosmos-copy:ContainerCopyJob::orders-migration",
};

const outputs = (inputs: JobInputs, status = "Completed"): JobOutputs => completedOutputs(inputs, status);

/** A new, valid value for each input. */
const changedValue: Record<InputPath, unknown> = {
  "account.endpoint": "https://other.documents.azure.com:443/",
  "account.authentication": "azure-credential",
  "account.caCertificate": certificate,
  "account.insecureTls": true,
  accountKey: "b3RoZXI=",
  "sourceAccount.endpoint": "https://oldaccount.documents.azure.com:443/",
  "sourceAccount.authentication": "azure-credential",
  "sourceAccount.caCertificate": certificate,
  "sourceAccount.insecureTls": true,
  sourceAccountKey: "c291cmNl",
  source: { database: "shop", container: "orders-old" },
  destination: { database: "shop", container: "orders-v3" },
  jobName: "orders-migration-2",
  mode: "Online",
  completed: true,
  waitForCompletion: false,
  timeoutMinutes: 30,
  workerCount: 4,
  pageSize: 500,
  targetThroughputLimit: { requestUnitsPerSecond: 1500 },
  sourceThroughputLimit: { percentOfProvisioned: 25 },
  verificationMode: "full",
  transform: { module: "/srv/migration/keys.js", exportName: "byUser", sha256: "0".repeat(64) },
  paused: true,
  resourceUrn: "urn:pulumi:dev::shop::pulumi-nodejs:dynamic/pulumi-cosmos-copy:ContainerCopyJob::renamed",
};

/**
 * A bad value for each input that `check` judges without the account, and the property it must name. The
 * source account's other fields are judged as the account's are, with its endpoint (see below); the
 * transform is judged by loading its module (see the transform's own case below).
 */
type SourceAccountField = Exclude<Extract<InputPath, `sourceAccount.${string}`>, "sourceAccount.endpoint">;
const badValue: Record<
  Exclude<InputPath, "accountKey" | "sourceAccountKey" | "resourceUrn" | "transform" | SourceAccountField>,
  [unknown, string, RegExp]
> = {
  "account.endpoint": ["", "account", /account\.endpoint is required/],
  "sourceAccount.endpoint": [
    "not a url",
    "sourceAccount",
    /sourceAccount\.endpoint "not a url" is not valid/,
  ],
  "account.authentication": ["password", "account", /authentication "password" is not valid/],
  "account.caCertificate": ["not a certificate", "account", /not a PEM certificate/],
  "account.insecureTls": ["yes", "account", /insecureTls "yes" is not valid/],
  source: [{ database: "shop", container: "orders?" }, "source", /source\.container 'orders\?'/],
  destination: [{ database: "shop", container: "orders" }, "destination", /is the source container/],
  jobName: ["my job", "jobName", /Job name 'my job'/],
  mode: ["online", "mode", /mode "online" is not valid: use "Offline" or "Online"/],
  completed: ["yes", "completed", /completed "yes" is not valid: use true or false/],
  waitForCompletion: ["no", "waitForCompletion", /waitForCompletion "no" is not valid/],
  timeoutMinutes: [0, "timeoutMinutes", /timeoutMinutes 0 is not valid/],
  workerCount: [17, "workerCount", /workerCount 17/],
  pageSize: [0, "pageSize", /pageSize 0/],
  targetThroughputLimit: [{ percentOfProvisioned: 0 }, "targetThroughputLimit", /percentOfProvisioned 0/],
  sourceThroughputLimit: [{ rus: 5 }, "sourceThroughputLimit", /sourceThroughputLimit \{"rus":5\}/],
  verificationMode: ["quick", "verificationMode", /verificationMode "quick"/],
  paused: [1, "paused", /paused 1 is not valid/],
};

describe("provider: diff, input by input", function () {
  it("reports nothing for the inputs the job was deployed with", function () {
    assert.deepEqual(diffResult(outputs(deployed), structuredClone(deployed)), {
      changes: false,
      replaces: [],
      deleteBeforeReplace: false,
    });
  });

  for (const path of inputPaths) {
    const change = inputChanges[path];
    const effect = {
      replace: "replaces the job",
      update: "updates the job in place",
      store: "is stored, the job left as it is",
    }[change];
    it(`${path}: a change ${effect}`, function () {
      const news = withValue(deployed, path, changedValue[path]);
      assert.deepEqual(diffInputs(deployed, news).changed, [path]);
      const result = diffResult(outputs(deployed), news);
      assert.equal(result.changes, true);
      assert.deepEqual(result.replaces, change === "replace" ? [propertyOf(path)] : []);
      // The job name is unique per account: a replacement that keeps it must delete the old job first.
      assert.equal(result.deleteBeforeReplace, change === "replace" && path !== "jobName");
    });
  }

  it("a value not known yet (during preview) counts as changed: a destination from a new container replaces", function () {
    const news = withValue(deployed, "destination", {
      database: "shop",
      container: pulumi.runtime.unknownValue,
    });
    assert.deepEqual(diffResult(outputs(deployed), news).replaces, ["destination"]);
  });

  it("an option given as null is the option left out", function () {
    const news = withValue(deployed, "pageSize", null);
    assert.equal(diffResult(outputs(deployed), news).changes, false);
  });

  it("mode left out is Offline: writing it out, or outputs holding the job's mode, changes nothing", function () {
    const explicit = withValue(deployed, "mode", "Offline");
    assert.equal(diffResult(outputs(deployed), explicit).changes, false);
    assert.equal(
      diffResult({ ...outputs(deployed), mode: "Offline" }, structuredClone(deployed)).changes,
      false,
    );
    assert.deepEqual(diffResult(outputs(explicit), withValue(deployed, "mode", "Online")).replaces, ["mode"]);
  });

  it("a job the last `up` left Failed is an update (which resumes it), not a replacement", function () {
    const result = diffResult(outputs(deployed, "Failed"), structuredClone(deployed));
    assert.equal(result.changes, true);
    assert.deepEqual(result.replaces, []);
  });

  it("state in the flat shape of earlier versions is an update in place, and reads as today's shape", function () {
    const legacy = {
      accountEndpoint: deployed.account.endpoint,
      accountKey: deployed.accountKey,
      authentication: "key",
      sourceDatabase: "shop",
      sourceContainer: "orders",
      destinationDatabase: "shop",
      destinationContainer: "orders-v2",
      jobName: "orders-migration",
      resourceUrn: deployed.resourceUrn,
      status: "Completed",
      processedCount: 10,
      totalCount: 10,
    } as unknown as JobOutputs;
    assert.deepEqual(currentShape(legacy), outputs(deployed));
    const result = diffResult(legacy, structuredClone(deployed));
    assert.equal(result.changes, true);
    assert.deepEqual(result.replaces, []);
    assert.deepEqual(
      diffResult(legacy, withValue(deployed, "destination", changedValue.destination)).replaces,
      ["destination"],
    );
  });
});

describe("provider: check, input by input", function () {
  it("finds nothing wrong with valid inputs", function () {
    assert.deepEqual(inputProblems(withValue(deployed, "account.caCertificate", certificate)), []);
  });

  for (const [path, [value, property, reason]] of Object.entries(badValue)) {
    it(`${path}: a bad value is reported on '${property}'`, function () {
      const failures = inputProblems(withValue(deployed, path as InputPath, value));
      assert.equal(failures.length, 1, JSON.stringify(failures));
      assert.equal(failures[0].property, property);
      assert.match(failures[0].reason, reason);
    });
  }

  it("judges the source account's fields as the account's, on 'sourceAccount'; its containers may have the destination's names", function () {
    const inOtherAccount = withValue(
      deployed,
      "sourceAccount.endpoint",
      changedValue["sourceAccount.endpoint"],
    );
    const sameNames = withValue(inOtherAccount, "destination", deployed.source);
    assert.deepEqual(inputProblems(sameNames), [], "another account's shop/orders is another container");
    for (const field of ["authentication", "caCertificate", "insecureTls"] as const) {
      const [value, , reason] = badValue[`account.${field}`];
      const failures = inputProblems(withValue(inOtherAccount, `sourceAccount.${field}`, value));
      assert.equal(failures.length, 1, JSON.stringify(failures));
      assert.equal(failures[0].property, "sourceAccount");
      assert.match(failures[0].reason, new RegExp(reason.source.replace(/^account/, "sourceAccount")));
    }
    const sameAccount = withValue(deployed, "sourceAccount.endpoint", deployed.account.endpoint);
    assert.match(
      inputProblems(withValue(sameAccount, "destination", deployed.source))[0]?.reason ?? "",
      /is the source container/,
      "a source account with the account's endpoint is the account",
    );
  });

  it("refuses completed on an offline job, naming it and the fix; takes it on an online one", function () {
    for (const job of [deployed, withValue(deployed, "mode", "Offline")]) {
      const failures = inputProblems(withValue(job, "completed", false));
      assert.equal(failures.length, 1, JSON.stringify(failures));
      assert.equal(failures[0].property, "completed");
      assert.match(failures[0].reason, /completed false applies only to a job with mode "Online"/);
      assert.match(failures[0].reason, /remove completed, or set mode: "Online"/);
    }
    const online = withValue(deployed, "mode", "Online");
    assert.deepEqual(inputProblems(withValue(online, "completed", true)), []);
    const modeUnknown = withValue(deployed, "mode", pulumi.runtime.unknownValue);
    assert.deepEqual(inputProblems(withValue(modeUnknown, "completed", true)), []);
  });

  it("transform: a module that cannot be loaded is reported on 'transform', before the account is asked", async function () {
    const missing = "/nonexistent/keys.js";
    const result = await check({}, withValue(deployed, "transform", { module: missing }));
    assert.equal(result.failures?.length, 1, JSON.stringify(result.failures));
    assert.equal(result.failures?.[0].property, "transform");
    assert.match(
      result.failures?.[0].reason ?? "",
      /transform module '\/nonexistent\/keys\.js' cannot be read/,
    );
  });

  it("does not judge a value not known yet", function () {
    const news = withValue(deployed, "jobName", `${pulumi.runtime.unknownValue} x`);
    assert.deepEqual(inputProblems(news), []);
  });

  it("puts errors from the account on the property they are about", function () {
    assert.equal(propertyOfField(ownerResourceMissing("source", "container", "shop/x").field), "source");
    assert.equal(propertyOfField(ownerResourceMissing("destination", "database", "x").field), "destination");
    assert.equal(
      propertyOfField(new CopyJobError("JobNameInUse", "taken", undefined, { field: "name" }).field),
      "jobName",
    );
    assert.equal(propertyOfField(undefined), "");
  });
});
