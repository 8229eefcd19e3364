import type { types } from "cassandra-driver";

/**
 * What a request cost in request units: Azure Cosmos DB for Apache Cassandra sends it in the response's
 * custom payload as `RequestCharge`, a big-endian double; Apache Cassandra sends none (0).
 */
export function requestChargeOf(result: Pick<types.ResultSet, "info">): number {
  const charge: unknown = result.info?.customPayload?.RequestCharge;
  return Buffer.isBuffer(charge) && charge.length === 8 ? charge.readDoubleBE(0) : 0;
}
