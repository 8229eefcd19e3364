import { newJobRecord } from "../../engine/job-control";
import { defaultCopyOptions, type JobRecord } from "../../engine/types";

/** A Pending offline job of `shop/orders` into `shop/<name>-target`, for tests of the state and scheduling. */
export function jobNamed(name: string, createdAt = new Date().toISOString()): JobRecord {
  return newJobRecord(
    {
      name,
      source: { database: "shop", container: "orders" },
      destination: { database: "shop", container: `${name}-target` },
      mode: "Offline",
      options: defaultCopyOptions,
    },
    createdAt,
  );
}
