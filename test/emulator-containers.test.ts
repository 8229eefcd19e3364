import {
  PartitionKeyKind,
  VectorEmbeddingDataType,
  VectorEmbeddingDistanceFunction,
  VectorIndexType,
  type ContainerDefinition,
  type ContainerRequest,
  type Database,
  type ErrorResponse,
  type IndexingPolicy,
} from "@azure/cosmos";
import assert from "node:assert/strict";
import { authorizationHeader } from "../emulator/auth";
import {
  openEndpoint,
  uniqueName,
  usingExternalEndpoint,
  type TestEndpoint,
} from "./support/cosmos-endpoint";
import { expectFailure } from "./support/expect-failure";

/**
 * Containers as the service checks and returns them: partition-key paths, the default indexing policy and
 * geospatial configuration, quota headers on a read, and the partition-key-range feed's etag and 304.
 */
const defaultExcludedPath = '/"_etag"/?';

describe("containers (cosmos-emulator)", function () {
  let cosmos: TestEndpoint;
  let database: Database;

  before(async () => {
    cosmos = await openEndpoint({ http: true });
    ({ database } = await cosmos.client.databases.create({ id: uniqueName("containers") }));
  });

  after(async () => {
    await database?.delete();
    await cosmos?.stop();
  });

  async function refused(request: ContainerRequest): Promise<ErrorResponse> {
    const error = (await expectFailure(
      database.containers.create({ id: uniqueName("bad"), ...request }),
    )) as ErrorResponse;
    assert.equal(error.code, 400, JSON.stringify(request.partitionKey));
    return error;
  }

  it("refuses partition-key paths the service refuses, naming the path", async () => {
    const invalidCharacters =
      "Partition key paths must contain only valid characters and not contain a trailing slash or wildcard character";
    for (const path of ["/id ds", "/id/", "/a//b", "/a*", "/"]) {
      const error = await refused({ partitionKey: { paths: [path] } });
      assert.ok(error.message.includes(invalidCharacters), `${path}: ${error.message}`);
      assert.ok(error.message.includes(`path '${path}'`), error.message);
    }
    const hierarchical = await refused({
      partitionKey: { paths: ["id", "/id2"], version: 2, kind: PartitionKeyKind.MultiHash },
    });
    assert.ok(
      hierarchical.message.includes("The partition key component definition path 'id' could not be accepted"),
      hierarchical.message,
    );
    await refused({ partitionKey: { paths: "/id" } as never });
    await refused({ partitionKey: { paths: [] } });
    await refused({ partitionKey: { paths: ["/a"], kind: "Range" as PartitionKeyKind } });
    await refused({ partitionKey: { paths: ["/a"], version: 3 as never } });
    await refused({
      partitionKey: { paths: ["/a", "/b", "/c", "/d"], version: 2, kind: PartitionKeyKind.MultiHash },
    });

    const { resource } = await database.containers.create({
      id: uniqueName("nested"),
      partitionKey: {
        paths: ["/address/zipCode", '/"quoted key"'],
        version: 2,
        kind: PartitionKeyKind.MultiHash,
      },
    });
    assert.deepEqual(resource?.partitionKey?.paths, ["/address/zipCode", '/"quoted key"']);
  });

  it("returns the service's default indexing policy and keeps what was given", async () => {
    const defaults = {
      indexingMode: "consistent",
      automatic: true,
      includedPaths: [{ path: "/*" }],
      excludedPaths: [{ path: defaultExcludedPath }],
    };
    for (const indexingPolicy of [undefined, {}, { includedPaths: [{ path: "/*" }] }]) {
      const { resource } = await database.containers.create({ id: uniqueName("index"), indexingPolicy });
      assert.deepEqual(resource?.indexingPolicy, defaults, JSON.stringify(indexingPolicy));
    }
    const given: IndexingPolicy = {
      indexingMode: "consistent",
      excludedPaths: [{ path: '/"systemMetadata"/*' }],
      compositeIndexes: [
        [
          { path: "/a", order: "ascending" },
          { path: "/b", order: "descending" },
        ],
      ],
    };
    const { resource } = await database.containers.create({ id: uniqueName("index"), indexingPolicy: given });
    assert.deepEqual(
      resource?.indexingPolicy?.excludedPaths?.map((p) => p.path),
      ['/"systemMetadata"/*', defaultExcludedPath],
    );
    assert.deepEqual(resource?.indexingPolicy?.compositeIndexes, given.compositeIndexes);
    await refused({ indexingPolicy: { indexingMode: "eager" as never } });
  });

  it("defaults geospatialConfig to Geography, accepts Geometry on replace and refuses other types", async () => {
    const { resource, container } = await database.containers.create({ id: uniqueName("geo") });
    assert.ok(resource);
    assert.deepEqual(resource.geospatialConfig, { type: "Geography" });
    const { resource: replaced } = await container.replace({
      ...resource,
      geospatialConfig: { type: "Geometry" as never },
    });
    assert.deepEqual(replaced?.geospatialConfig, { type: "Geometry" });
    await refused({ geospatialConfig: { type: "Sphere" as never } });
  });

  it("refuses vector search, which its account lacks, in the service's words", async function () {
    // An Azure account may have the EnableNoSQLVectorSearch capability; the emulator's never does.
    if (usingExternalEndpoint) this.skip();
    const withoutCapability =
      "A Container Vector Policy has been provided, but the capability has not been enabled on your account.";
    const policy: Pick<ContainerDefinition, "vectorEmbeddingPolicy"> = {
      vectorEmbeddingPolicy: {
        vectorEmbeddings: [
          {
            path: "/embedding",
            dataType: VectorEmbeddingDataType.Float32,
            distanceFunction: VectorEmbeddingDistanceFunction.Cosine,
            dimensions: 3,
          },
        ],
      },
    };
    const vectorIndex = {
      indexingPolicy: { vectorIndexes: [{ path: "/embedding", type: VectorIndexType.Flat }] },
    };
    for (const request of [policy, vectorIndex]) {
      const error = await refused(request);
      assert.ok(error.message.includes(withoutCapability), error.message);
    }
    const { resource, container } = await database.containers.create({ id: uniqueName("plain") });
    assert.ok(resource);
    const replaceError = (await expectFailure(
      container.replace({ ...resource, ...policy }),
    )) as ErrorResponse;
    assert.equal(replaceError.code, 400);
    assert.ok(replaceError.message.includes(withoutCapability), replaceError.message);
  });

  it("answers a read with the index transformation progress and, when asked, the quota and usage", async () => {
    const { container } = await database.containers.create({
      id: uniqueName("quota"),
      partitionKey: { paths: ["/pk"] },
    });
    await container.items.create({ id: "a", pk: "a" });
    await container.items.create({ id: "b", pk: "b" });
    const { headers } = await container.read({ populateQuotaInfo: true });
    assert.notEqual(headers["x-ms-documentdb-collection-index-transformation-progress"], undefined);
    const fields = (header: unknown) =>
      Object.fromEntries(
        String(header)
          .split(";")
          .map((entry) => entry.split("=")),
      );
    assert.equal(fields(headers["x-ms-resource-quota"]).collectionSize, String(10 * 1024 * 1024));
    assert.equal(fields(headers["x-ms-resource-usage"]).documentsCount, "2");
  });

  describe("partition-key-range feed (A-IM: Incremental feed)", () => {
    /** `GET …/pkranges` as a routing-map client sends it, with the etag it holds. */
    async function readRanges(containerId: string, etag?: string) {
      const link = `dbs/${database.id}/colls/${containerId}`;
      const date = new Date().toUTCString();
      const response = await fetch(new URL(`${link}/pkranges`, cosmos.endpoint), {
        headers: {
          authorization: authorizationHeader(cosmos.key, "GET", "pkranges", link, date),
          "x-ms-date": date,
          "x-ms-version": "2020-07-15",
          "a-im": "Incremental feed",
          ...(etag ? { "if-none-match": etag } : {}),
        },
      });
      const body =
        response.status === 200
          ? ((await response.json()) as { PartitionKeyRanges: { id: string }[] })
          : undefined;
      return {
        status: response.status,
        etag: response.headers.get("etag") ?? undefined,
        ids: body?.PartitionKeyRanges.map((range) => range.id).sort(),
      };
    }

    it("gives an etag, then 304 until a split changes the ranges", async function () {
      if (usingExternalEndpoint) this.skip(); // the split is driven through the local emulator's admin control
      const { container } = await database.containers.create({
        id: uniqueName("ranges"),
        partitionKey: { paths: ["/pk"] },
      });
      const first = await readRanges(container.id);
      assert.equal(first.status, 200);
      assert.deepEqual(first.ids, ["0"]);
      assert.ok(first.etag, "the feed has an etag");
      assert.equal((await readRanges(container.id, first.etag)).status, 304, "nothing changed");

      await cosmos.admin!.splitPartition(database.id, container.id);
      const afterSplit = await readRanges(container.id, first.etag);
      assert.equal(afterSplit.status, 200);
      assert.deepEqual(afterSplit.ids, ["1", "2"]);
      assert.notEqual(afterSplit.etag, first.etag);
      assert.equal((await readRanges(container.id, afterSplit.etag)).status, 304);

      const { resources } = await container.readPartitionKeyRanges().fetchAll();
      assert.deepEqual(
        resources.map((range) => range.id).sort(),
        ["1", "2"],
        "the SDK's own read still lists them",
      );
    });
  });
});
