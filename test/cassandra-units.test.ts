import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { PeerCertificate } from "node:tls";
import { auth, errors, types } from "cassandra-driver";
import { cassandraClientOptions, cassandraConnectionFromEnvironment } from "../engine/cassandra/connection";
import { retryAfterMs, withCassandraRetries, type CassandraRetryPolicy } from "../engine/cassandra/retry";
import { CopyJobError } from "../engine/errors";

/**
 * The Cassandra connection's parts that decide things, on their own: reading the environment, the driver's
 * options, and the retry loop. The retry loop is fed the driver's own error types, built by hand: no real
 * node can be made to answer "overloaded" the way Azure Cosmos DB for Apache Cassandra does when it rate-limits.
 */
const { responseErrorCodes } = types;

/** The shape of Azure's rate-limiting answer: an OverloadedException whose message carries the wait. */
function overloaded(retryAfter?: number): errors.ResponseError {
  const wait = retryAfter === undefined ? "" : `, RetryAfterMs=${retryAfter}`;
  return new errors.ResponseError(
    responseErrorCodes.overloaded,
    `Request rate is large: ActivityID=0f3b4c1e-0000-4000-8000-000000000000${wait}, Additional details='Response status code does not indicate success: TooManyRequests (429); Substatus: 3200'`,
  );
}

/** A call that fails with `failures`, in order, then returns "done"; counts its calls and their times. */
function failingThen(...failures: Error[]): { call: () => Promise<string>; calls: number[] } {
  const calls: number[] = [];
  return {
    calls,
    call: async () => {
      calls.push(Date.now());
      const failure = failures[calls.length - 1];
      if (failure) throw failure;
      return "done";
    },
  };
}

const quickPolicy: CassandraRetryPolicy = {
  attempts: 4,
  startingDelayMs: 1,
  maxDelayMs: 5,
  maxOverloadedWaitMs: 1_000,
};

describe("Cassandra retry-after", () => {
  it("reads the wait an overloaded answer carries", () => {
    assert.equal(retryAfterMs(overloaded(250)), 250);
    assert.equal(retryAfterMs(overloaded(0)), 0);
  });

  it("has none for an overloaded answer without one, another error code, or another error", () => {
    assert.equal(retryAfterMs(overloaded()), undefined);
    assert.equal(
      retryAfterMs(new errors.ResponseError(responseErrorCodes.serverError, "failed, RetryAfterMs=100")),
      undefined,
    );
    assert.equal(retryAfterMs(new Error("RetryAfterMs=100")), undefined);
    assert.equal(retryAfterMs(undefined), undefined);
  });

  it("takes the longest wait among the hosts when the driver gave up on all of them", () => {
    const gaveUp = new errors.NoHostAvailableError({
      "10.0.0.1:10350": overloaded(40),
      "10.0.0.2:10350": overloaded(90),
      "10.0.0.3:10350": new errors.OperationTimedOutError("timed out", "10.0.0.3:10350"),
    });
    assert.equal(retryAfterMs(gaveUp), 90);
    assert.equal(retryAfterMs(new errors.NoHostAvailableError({})), undefined);
  });
});

describe("Cassandra retries", () => {
  it("waits out the retry-after of each overloaded answer, then returns the call's result", async () => {
    const { call, calls } = failingThen(overloaded(60), overloaded(60));
    assert.equal(await withCassandraRetries(call, undefined, quickPolicy), "done");
    assert.equal(calls.length, 3);
    // Timers may fire a millisecond early; the waits are the server's, not the back-off's few milliseconds.
    assert.ok(calls[1] - calls[0] >= 58, `first wait ${calls[1] - calls[0]} ms`);
    assert.ok(calls[2] - calls[1] >= 58, `second wait ${calls[2] - calls[1]} ms`);
  });

  it("retries transient faults and overloaded answers without a wait with back-off", async () => {
    const { call, calls } = failingThen(
      new errors.NoHostAvailableError({ "127.0.0.1:9042": new Error("connect ECONNREFUSED") }),
      new errors.OperationTimedOutError("The host 127.0.0.1:9042 did not reply before timeout 12000 ms"),
      new errors.ResponseError(
        responseErrorCodes.writeTimeout,
        "Operation timed out - received only 0 responses.",
      ),
      overloaded(),
    );
    assert.equal(await withCassandraRetries(call, undefined, { ...quickPolicy, attempts: 5 }), "done");
    assert.equal(calls.length, 5);
  });

  it("throws other errors at once", async () => {
    const syntax = new errors.ResponseError(responseErrorCodes.syntaxError, "line 1:0 no viable alternative");
    const { call, calls } = failingThen(syntax);
    await assert.rejects(withCassandraRetries(call, undefined, quickPolicy), (error) => error === syntax);
    assert.equal(calls.length, 1);
  });

  it("gives up with the last fault when the attempts run out", async () => {
    const timeouts = Array.from(
      { length: 4 },
      (_, i) => new errors.ResponseError(responseErrorCodes.readTimeout, `read timeout ${i}`),
    );
    const { call, calls } = failingThen(...timeouts);
    await assert.rejects(
      withCassandraRetries(call, undefined, quickPolicy),
      (error) => error === timeouts[3],
    );
    assert.equal(calls.length, 4);
  });

  it("gives up with the overloaded answer once its waits would pass the policy's total", async () => {
    const answers = [overloaded(60), overloaded(60), overloaded(60)];
    const { call, calls } = failingThen(...answers);
    await assert.rejects(
      withCassandraRetries(call, undefined, { ...quickPolicy, maxOverloadedWaitMs: 100 }),
      (error) => error === answers[1],
    );
    assert.equal(calls.length, 2);
  });

  it("stops waiting when its signal is aborted, throwing the overloaded answer", async () => {
    const controller = new AbortController();
    const answer = overloaded(600_000);
    const { call, calls } = failingThen(answer);
    // Aborted on the next turn of the event loop, once the 10-minute wait has begun.
    const retrying = withCassandraRetries(() => {
      setImmediate(() => controller.abort());
      return call();
    }, controller.signal);
    await assert.rejects(retrying, (error) => error === answer);
    assert.equal(calls.length, 1);
  });
});

describe("Cassandra connection from the environment", () => {
  const caFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "cassandra-ca-")), "ca.pem");
  before(() => fs.writeFileSync(caFile, "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"));
  after(() => fs.rmSync(path.dirname(caFile), { recursive: true, force: true }));

  function invalid(env: NodeJS.ProcessEnv, pattern: RegExp): void {
    assert.throws(
      () => cassandraConnectionFromEnvironment(env),
      (error: unknown) => {
        assert.ok(error instanceof CopyJobError);
        assert.equal(error.code, "InvalidCassandraSetting");
        assert.match(error.message, pattern);
        return true;
      },
    );
  }

  it("names no cluster when CASSANDRA_CONTACT_POINTS is unset or empty", () => {
    assert.equal(cassandraConnectionFromEnvironment({}), undefined);
    assert.equal(cassandraConnectionFromEnvironment({ CASSANDRA_CONTACT_POINTS: " " }), undefined);
  });

  it("reads a local node with the default data center", () => {
    assert.deepEqual(cassandraConnectionFromEnvironment({ CASSANDRA_CONTACT_POINTS: "127.0.0.1:9142" }), {
      contactPoints: ["127.0.0.1:9142"],
      localDataCenter: "datacenter1",
    });
  });

  it("reads an Azure account: host and port, data center, credentials, TLS with a CA file", () => {
    const connection = cassandraConnectionFromEnvironment({
      CASSANDRA_CONTACT_POINTS: "shop.cassandra.cosmos.azure.com:10350, [::1]:9042,backup",
      CASSANDRA_LOCAL_DATA_CENTER: "West Europe",
      CASSANDRA_USERNAME: "shop",
      CASSANDRA_PASSWORD: "primary-password",
      CASSANDRA_TLS: "true",
      CASSANDRA_CA_FILE: caFile,
    });
    assert.deepEqual(connection, {
      contactPoints: ["shop.cassandra.cosmos.azure.com:10350", "[::1]:9042", "backup"],
      localDataCenter: "West Europe",
      username: "shop",
      password: "primary-password",
      tls: { caCertificate: fs.readFileSync(caFile, "utf8") },
    });
    assert.deepEqual(
      cassandraConnectionFromEnvironment({ CASSANDRA_CONTACT_POINTS: "h", CASSANDRA_INSECURE_TLS: "1" })?.tls,
      { insecure: true },
    );
  });

  it("refuses contact points that are not host[:port], naming the bad one", () => {
    invalid(
      { CASSANDRA_CONTACT_POINTS: "good:9042,bad:70000" },
      /CASSANDRA_CONTACT_POINTS=.*'bad:70000'.*host\[:port\]/,
    );
    invalid({ CASSANDRA_CONTACT_POINTS: "http://node:9042" }, /'http:\/\/node:9042'/);
    invalid({ CASSANDRA_CONTACT_POINTS: "[::1]" }, /'\[::1\]'.*\[IPv6\]:port/);
    invalid({ CASSANDRA_CONTACT_POINTS: ",," }, /names no host.*e\.g\./);
  });

  it("refuses a user name without a password, and never echoes a password", () => {
    invalid(
      { CASSANDRA_CONTACT_POINTS: "h", CASSANDRA_USERNAME: "shop" },
      /CASSANDRA_USERNAME is set but CASSANDRA_PASSWORD/,
    );
    assert.throws(
      () =>
        cassandraConnectionFromEnvironment({
          CASSANDRA_CONTACT_POINTS: "h",
          CASSANDRA_PASSWORD: "s3cret-pw",
        }),
      (error: Error) =>
        /CASSANDRA_PASSWORD is set but CASSANDRA_USERNAME/.test(error.message) &&
        !error.message.includes("s3cret-pw"),
    );
  });

  it("refuses TLS settings it cannot use, naming the variable and the fix", () => {
    invalid(
      { CASSANDRA_CONTACT_POINTS: "h", CASSANDRA_TLS: "maybe" },
      /CASSANDRA_TLS='maybe' is not 1, true, 0 or false/,
    );
    invalid(
      { CASSANDRA_CONTACT_POINTS: "h", CASSANDRA_CA_FILE: "/no/such/ca.pem" },
      /CASSANDRA_CA_FILE='\/no\/such\/ca\.pem' cannot be read \(ENOENT\).*PEM/,
    );
    invalid(
      { CASSANDRA_CONTACT_POINTS: "h", CASSANDRA_TLS: "0", CASSANDRA_CA_FILE: caFile },
      /CASSANDRA_TLS='0' turns TLS off while CASSANDRA_CA_FILE asks for it/,
    );
  });
});

describe("Cassandra driver options", () => {
  const azure = { contactPoints: ["shop.cassandra.cosmos.azure.com:10350"], localDataCenter: "West Europe" };
  const certificateFor = (name: string) =>
    ({ subject: { CN: name }, subjectaltname: `DNS:${name}` }) as unknown as PeerCertificate;

  it("speaks CQL protocol v4, with a plain-text login only when a user name is given", () => {
    const local = cassandraClientOptions({
      contactPoints: ["127.0.0.1:9042"],
      localDataCenter: "datacenter1",
    });
    assert.equal(local.protocolOptions?.maxVersion, types.protocolVersion.v4);
    assert.equal(local.authProvider, undefined);
    assert.equal(local.sslOptions, undefined);
    const withLogin = cassandraClientOptions({ ...azure, username: "shop", password: "pw" });
    assert.ok(withLogin.authProvider instanceof auth.PlainTextAuthProvider);
  });

  it("checks a named cluster's certificate against its name, though the driver connects to its address", () => {
    const { sslOptions } = cassandraClientOptions({ ...azure, tls: {} });
    assert.equal(sslOptions?.rejectUnauthorized, true);
    assert.equal(sslOptions?.servername, "shop.cassandra.cosmos.azure.com");
    const check = sslOptions?.checkServerIdentity;
    assert.ok(check);
    assert.equal(check("20.50.2.1", certificateFor("shop.cassandra.cosmos.azure.com")), undefined);
    assert.ok(check("20.50.2.1", certificateFor("other.example.com")) instanceof Error);
  });

  it("trusts the CA it is given, or skips the check only when told to", () => {
    const { sslOptions } = cassandraClientOptions({
      ...azure,
      tls: { caCertificate: "PEM", insecure: true },
    });
    assert.deepEqual(sslOptions?.ca, ["PEM"]);
    assert.equal(sslOptions?.rejectUnauthorized, false);
  });
});
