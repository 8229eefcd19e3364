import { CommanderError } from "commander";
import { CopyJobError, classifyConnectionFailure } from "../engine";
import { UsageError } from "./usage-error";

/**
 * How a failed run ends: `error: <message>` on stderr and an exit code — 2 for a command line to fix, 1 for
 * a job or service failure. Sign-in, network and TLS failures say only what broke (raw from the SDKs) or
 * name the Pulumi inputs (from the engine), so the fix is added in terms of the CLI's own flags.
 */
const usageCodes = new Set([
  "InvalidJobSpec",
  "InvalidEndpoint",
  "InvalidTransform",
  "InvalidCassandraSetting",
]);

const tlsFix =
  "With cosmos-copy, trust the endpoint's certificate with --ca-file <pem> (or NODE_EXTRA_CA_CERTS); use --insecure-tls only for a local emulator.";
const signInFix =
  "--auth aad signs in with DefaultAzureCredential: run `az login`, set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET, or run where a managed identity is assigned; or use the account key (COSMOS_KEY or --key-file).";
const unreachableFix =
  "Check --endpoint (or COSMOS_ENDPOINT) and that the account or emulator is running and reachable.";

/** The fix in the CLI's own flags, for failures the engine classifies (an engine error already has one). */
function cliFix(error: unknown): string | undefined {
  const failure = classifyConnectionFailure(error);
  if (failure === "untrustedCertificate") return tlsFix;
  if (error instanceof CopyJobError) return undefined;
  if (failure === "signIn") return signInFix;
  if (failure === "unreachable") return unreachableFix;
  return undefined;
}

export function reportFailure(error: unknown): number {
  // Commander has already printed its own parse errors (and help, which exits 0).
  if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
  const message = error instanceof Error ? error.message : String(error);
  const fix = cliFix(error);
  process.stderr.write(`error: ${message}${fix ? `${/[.!?]$/.test(message) ? "" : "."} ${fix}` : ""}\n`);
  if (error instanceof UsageError) return 2;
  if (error instanceof CopyJobError && usageCodes.has(error.code)) return 2;
  return 1;
}
