import * as fs from "node:fs";
import type { AccountConnection } from "../engine";
import { UsageError } from "./usage-error";

/**
 * How the CLI reaches an account. The key comes from COSMOS_KEY or a file, never from the command line,
 * where every user of the machine could read it (`ps`, /proc, shell history).
 */
export const authMethods = ["key", "aad"] as const;

export interface ConnectionOptions {
  /** Only what was typed: COSMOS_ENDPOINT is read here, so suggested commands need not repeat it. */
  endpoint?: string;
  keyFile?: string;
  auth: (typeof authMethods)[number];
  insecureTls?: boolean;
  caFile?: string;
}

const endpointVariable = "COSMOS_ENDPOINT";
const keyVariable = "COSMOS_KEY";

/** Why `--key` is refused: the option exists only to say this instead of "unknown option". */
export const keyOptionRefusal = `--key is refused: a key on the command line is visible to every user of this machine (ps, /proc, shell history). Put it in ${keyVariable}, or in a file only you can read and pass --key-file <file>.`;

function readOptionFile(flag: string, file: string, what: string): string {
  try {
    return fs.readFileSync(file, "utf8");
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new UsageError(
      `Cannot read ${flag} '${file}' (${reason}): give a readable file that holds ${what}.`,
    );
  }
}

function accountKey(options: ConnectionOptions): string {
  if (options.keyFile) {
    const key = readOptionFile("--key-file", options.keyFile, "the account key").trim();
    if (!key) throw new UsageError(`--key-file '${options.keyFile}' is empty: put the account key in it.`);
    return key;
  }
  const key = process.env[keyVariable]?.trim();
  if (!key) {
    throw new UsageError(
      `No account key: set ${keyVariable}, pass --key-file <file>, or sign in with Entra ID using --auth aad.`,
    );
  }
  return key;
}

function trustedCertificate(file: string): string {
  const pem = readOptionFile("--ca-file", file, "a PEM certificate");
  if (!pem.includes("-----BEGIN CERTIFICATE-----")) {
    throw new UsageError(
      `--ca-file '${file}' holds no PEM certificate (no '-----BEGIN CERTIFICATE-----' line).`,
    );
  }
  return pem;
}

/** Resolves the global options (and COSMOS_ENDPOINT / COSMOS_KEY) into the engine's connection. */
export async function connectionFrom(options: ConnectionOptions): Promise<AccountConnection> {
  const endpoint = options.endpoint || process.env[endpointVariable]?.trim();
  if (!endpoint) {
    throw new UsageError(`No account endpoint: pass --endpoint <url> or set ${endpointVariable}.`);
  }
  if (options.auth === "aad" && options.keyFile) {
    throw new UsageError("--key-file and --auth aad contradict each other: drop one of them.");
  }
  if (options.auth === "aad" && !endpoint.startsWith("https:")) {
    throw new UsageError(
      `--auth aad needs an https endpoint, not '${endpoint}': Entra ID tokens are only sent over TLS. Sign a plain-HTTP emulator with its key instead.`,
    );
  }
  if (options.insecureTls) {
    process.stderr.write(
      "warning: --insecure-tls turns off certificate checks; use it only for a local emulator.\n",
    );
  }
  const tls = {
    caCertificate: options.caFile ? trustedCertificate(options.caFile) : undefined,
    insecureTls: options.insecureTls === true,
  };
  if (options.auth === "aad") {
    // Loaded on demand: @azure/identity is heavy and most runs sign with the key.
    const { DefaultAzureCredential } = await import("@azure/identity");
    return { endpoint, credential: new DefaultAzureCredential(), ...tls };
  }
  return { endpoint, key: accountKey(options), ...tls };
}

function shellWord(value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

/** The connection flags the user typed (there is no key among them), for a suggested follow-up command. */
export function connectionFlags(options: ConnectionOptions): string[] {
  const flags: string[] = [];
  if (options.endpoint) flags.push(`--endpoint ${shellWord(options.endpoint)}`);
  if (options.keyFile) flags.push(`--key-file ${shellWord(options.keyFile)}`);
  if (options.auth === "aad") flags.push("--auth aad");
  if (options.caFile) flags.push(`--ca-file ${shellWord(options.caFile)}`);
  if (options.insecureTls) flags.push("--insecure-tls");
  return flags;
}
