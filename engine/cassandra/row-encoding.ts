import type { Client, ClientOptions } from "cassandra-driver";

/**
 * How a copy's client must decode rows: maps as `Map`s. By default the driver decodes a map into a plain
 * object, turning its keys into property names (an int key becomes "1", a timestamp key its local-time
 * text, a blob key its bytes as UTF-8), which cannot be written back; and it encodes a `Map` it was not
 * told about as an empty map. Pass it as `ClientOptions.encoding` to every client that reads or writes rows.
 */
export const rowEncoding: NonNullable<ClientOptions["encoding"]> = { map: Map };

/** Refuses a client opened without `rowEncoding`: a copy through it would change or drop map entries. */
export function checkRowEncoding(client: Client): void {
  const { options } = client as unknown as { options?: ClientOptions };
  if (options?.encoding?.map !== Map) {
    throw new Error(
      "The Cassandra client decodes maps as plain objects, which loses their keys' types: open it with `encoding: rowEncoding` (engine/cassandra/row-encoding.ts).",
    );
  }
}
