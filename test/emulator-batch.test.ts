import {
  BulkOperationType,
  type Container,
  type Database,
  type ErrorResponse,
  type OperationInput,
  type PartitionKeyDefinition,
  PartitionKeyKind,
  PatchOperationType,
} from "@azure/cosmos";
import assert from "node:assert/strict";
import { openEndpoint, uniqueName, type TestEndpoint } from "./support/cosmos-endpoint";

/**
 * Transactional batches (`container.items.batch(operations, partitionKey)`) as the official SDK's
 * batch.item.spec.ts drives them: every operation type, Read, Delete, Replace and Patch addressed by id alone
 * and run in the batch's logical partition, all or nothing.
 */
interface School {
  id: string;
  key: string;
  school?: string;
  good?: string;
}

describe("cosmos-emulator transactional batch", function () {
  let cosmos: TestEndpoint;
  let database: Database;

  before(async function () {
    cosmos = await openEndpoint({ partitions: 4 });
    ({ database } = await cosmos.client.databases.create({ id: uniqueName("batch") }));
  });

  after(async function () {
    await database?.delete().catch(() => undefined);
    await cosmos?.stop();
  });

  async function newContainer(partitionKey: PartitionKeyDefinition): Promise<Container> {
    const { container } = await database.containers.create({ id: uniqueName("c"), partitionKey });
    return container;
  }

  const addGood = {
    operations: [{ op: PatchOperationType.add, path: "/good", value: "greatValue" }],
    condition: "from c where NOT IS_DEFINED(c.newImproved)",
  };

  it("runs Create, Upsert, Replace, Delete, Patch and Read, those addressed by id in the batch's partition", async function () {
    const container = await newContainer({ paths: ["/key"], version: 2 });
    for (const id of ["replaced", "deleted", "patched", "read"]) {
      await container.items.create({ id, key: "A", school: "old" });
    }
    await container.items.create({ id: "read", key: "B", school: "other partition" });

    const operations: OperationInput[] = [
      { operationType: BulkOperationType.Create, resourceBody: { id: "created", key: "A", school: "high" } },
      { operationType: BulkOperationType.Upsert, resourceBody: { id: "upserted", key: "A" } },
      {
        operationType: BulkOperationType.Replace,
        id: "replaced",
        resourceBody: { id: "replaced", key: "A", school: "junior high" },
      },
      { operationType: BulkOperationType.Delete, id: "deleted" },
      { operationType: BulkOperationType.Patch, id: "patched", resourceBody: addGood },
      { operationType: BulkOperationType.Read, id: "read" },
    ];
    const response = await container.items.batch(operations, "A");

    assert.equal(response.code, 200);
    assert.deepEqual(
      response.result?.map((r) => r.statusCode),
      [201, 201, 200, 204, 200, 200],
    );
    const read = response.result?.[5].resourceBody as unknown as School;
    assert.deepEqual([read.id, read.key, read.school], ["read", "A", "old"]);
    assert.equal((await container.item("replaced", "A").read<School>()).resource?.school, "junior high");
    assert.equal((await container.item("deleted", "A").read()).statusCode, 404);
    assert.equal((await container.item("patched", "A").read<School>()).resource?.good, "greatValue");
    assert.equal((await container.item("read", "B").read<School>()).resource?.school, "other partition");
  });

  it("runs operations that name the batch's own hierarchical partition key", async function () {
    const container = await newContainer({
      paths: ["/key1", "/key2"],
      version: 2,
      kind: PartitionKeyKind.MultiHash,
    });
    const key = ["A", "B"];
    const operations: OperationInput[] = [
      {
        operationType: BulkOperationType.Create,
        resourceBody: { id: "i1", key1: "A", key2: "B", school: "high" },
        partitionKey: key,
      },
      {
        operationType: BulkOperationType.Upsert,
        resourceBody: { id: "i2", key1: "A", key2: "B" },
        partitionKey: key,
      },
      {
        operationType: BulkOperationType.Replace,
        id: "i1",
        resourceBody: { id: "i1", key1: "A", key2: "B", school: "junior high" },
        partitionKey: key,
      },
      { operationType: BulkOperationType.Delete, id: "i1", partitionKey: key },
      { operationType: BulkOperationType.Patch, id: "i2", partitionKey: key, resourceBody: addGood },
    ];
    const response = await container.items.batch(operations, key);

    assert.deepEqual(
      response.result?.map((r) => r.statusCode),
      [201, 201, 200, 204, 200],
    );
    assert.equal((await container.item("i1", key).read()).statusCode, 404);
    assert.equal((await container.item("i2", key).read<School>()).resource?.good, "greatValue");
  });

  it("rolls every operation back when one fails: 207, the failure's own status, 424 for the rest", async function () {
    const container = await newContainer({ paths: ["/key"], version: 2 });
    await container.items.create({ id: "kept", key: "A", school: "old" });

    const missingDelete = await container.items.batch(
      [
        { operationType: BulkOperationType.Upsert, resourceBody: { id: "other", key: "A" } },
        { operationType: BulkOperationType.Delete, id: "missing" },
      ],
      "A",
    );
    assert.equal(missingDelete.code, 207);
    assert.deepEqual(
      missingDelete.result?.map((r) => r.statusCode),
      [424, 404],
    );
    assert.equal((await container.item("other", "A").read()).statusCode, 404);

    const failedCondition = await container.items.batch(
      [
        {
          operationType: BulkOperationType.Replace,
          id: "kept",
          resourceBody: { id: "kept", key: "A", school: "new" },
        },
        {
          operationType: BulkOperationType.Patch,
          id: "kept",
          resourceBody: { ...addGood, condition: "from c where c.school = 'old'" },
        },
        { operationType: BulkOperationType.Read, id: "kept" },
      ],
      "A",
    );
    assert.deepEqual(
      failedCondition.result?.map((r) => r.statusCode),
      [424, 412, 424],
    );
    const kept = (await container.item("kept", "A").read<School>()).resource;
    assert.deepEqual([kept?.school, kept?.good], ["old", undefined]);
  });

  it("refuses with 400 a batch whose operation names another partition key, running none of it", async function () {
    const container = await newContainer({ paths: ["/key"], version: 2 });
    const error = await container.items
      .batch(
        [
          {
            operationType: BulkOperationType.Create,
            resourceBody: { id: "i1", key: "B" },
            partitionKey: "B",
          },
          {
            operationType: BulkOperationType.Upsert,
            resourceBody: { id: "i2", key: "A" },
            partitionKey: "A",
          },
        ],
        "B",
      )
      .then(
        () => assert.fail("expected the batch to be refused"),
        // The SDK wraps a refused batch's error in its own, keeping the response's as the cause.
        (e: unknown) => e as Error & { cause: ErrorResponse },
      );
    assert.equal(error.cause.code, 400);
    assert.match(
      error.message,
      /One or more operations within the batch request have a different partition key value than the request\./,
    );
    assert.equal((await container.item("i1", "B").read()).statusCode, 404);
  });
});
