import * as http from "node:http";
import * as https from "node:https";
import { authorizationHeader } from "./auth";
import type { FaultRules } from "./faults";
import type { SplitResult } from "./handlers/splits";
import type { ContainerStatistics } from "./statistics";

/**
 * A typed client for the emulator's `/_admin` test controls. Tests and benchmarks use it to inject faults,
 * move the write region, split partitions and read request statistics; the copy engine never does.
 */
export class EmulatorAdmin {
  constructor(
    private readonly endpoint: string,
    private readonly key: string,
    private readonly certificate?: string,
  ) {}

  setFaults(rules: FaultRules): Promise<unknown> {
    return this.call("PUT", "faults", rules);
  }

  clearFaults(): Promise<unknown> {
    return this.call("DELETE", "faults");
  }

  setWriteRegion(writeRegion: string): Promise<unknown> {
    return this.call("PUT", "region", { writeRegion });
  }

  /** Splits a partition key range of the container: `rangeId`, or else its widest range. */
  async splitPartition(database: string, container: string, rangeId?: string): Promise<SplitResult> {
    return (await this.call("POST", "split", { database, container, rangeId })) as SplitResult;
  }

  async statistics(): Promise<Record<string, ContainerStatistics>> {
    return (await this.call("GET", "statistics")) as Record<string, ContainerStatistics>;
  }

  resetStatistics(): Promise<unknown> {
    return this.call("DELETE", "statistics");
  }

  private call(method: string, control: string, body?: unknown): Promise<unknown> {
    const date = new Date().toUTCString();
    const url = new URL(`_admin/${control}`, this.endpoint);
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const transport = url.protocol === "https:" ? https : http;
    return new Promise((resolve, reject) => {
      const request = transport.request(
        url,
        {
          method,
          ca: this.certificate,
          headers: {
            "x-ms-date": date,
            authorization: authorizationHeader(this.key, method, "admin", control, date),
            "content-type": "application/json",
          },
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on("data", (chunk: Buffer) => chunks.push(chunk));
          response.on("end", () => {
            const text = Buffer.concat(chunks).toString("utf8");
            if ((response.statusCode ?? 500) >= 400) {
              reject(new Error(`cosmos-emulator admin ${method} ${control}: ${response.statusCode} ${text}`));
            } else {
              resolve(text ? JSON.parse(text) : undefined);
            }
          });
        },
      );
      request.on("error", reject);
      request.end(payload);
    });
  }
}
