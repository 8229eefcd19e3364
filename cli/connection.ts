import { Option, type Command } from "commander";
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
  auth?: (typeof authMethods)[number];
  insecureTls?: boolean;
  caFile?: string;
}

/**
 * The source account's flags (`--src-endpoint` and the rest) as commander names them, on the commands that
 * take them: the same as the account's, for the account a cross-account job's source is in.
 */
export interface SourceConnectionOptions {
  srcEndpoint?: string;
  srcKeyFile?: string;
  srcAuth?: (typeof authMethods)[number];
  srcInsecureTls?: boolean;
  srcCaFile?: string;
}

/** One account's flags and environment variables: the job's own account's, or its source's. */
interface AccountFlags {
  /** Put before each flag's name: `--${prefix}key-file`. */
  prefix: "" | "src-";
  what: "account" | "source account";
  /** Read when no endpoint flag is given (the source's endpoint is never implied: it makes a job cross-account). */
  endpointVariable?: string;
  keyVariable: string;
}

const ownAccount: AccountFlags = {
  prefix: "",
  what: "account",
  endpointVariable: "COSMOS_ENDPOINT",
  keyVariable: "COSMOS_KEY",
};
const sourceAccount: AccountFlags = {
  prefix: "src-",
  what: "source account",
  keyVariable: "COSMOS_SOURCE_KEY",
};

/** Why `--key` (or `--src-key`) is refused: the option exists only to say this instead of "unknown option". */
function keyRefusal(flags: AccountFlags): string {
  return `--${flags.prefix}key is refused: a key on the command line is visible to every user of this machine (ps, /proc, shell history). Put it in ${flags.keyVariable}, or in a file only you can read and pass --${flags.prefix}key-file <file>.`;
}

export const keyOptionRefusal = keyRefusal(ownAccount);

export function readOptionFile(flag: string, file: string, what: string): string {
  try {
    return fs.readFileSync(file, "utf8");
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new UsageError(
      `Cannot read ${flag} '${file}' (${reason}): give a readable file that holds ${what}.`,
    );
  }
}

function accountKey(flags: AccountFlags, options: ConnectionOptions): string {
  const keyFileFlag = `--${flags.prefix}key-file`;
  if (options.keyFile) {
    const key = readOptionFile(keyFileFlag, options.keyFile, `the ${flags.what} key`).trim();
    if (!key)
      throw new UsageError(`${keyFileFlag} '${options.keyFile}' is empty: put the ${flags.what} key in it.`);
    return key;
  }
  const key = process.env[flags.keyVariable]?.trim();
  if (!key) {
    throw new UsageError(
      `No ${flags.what} key: set ${flags.keyVariable}, pass ${keyFileFlag} <file>, or sign in with Entra ID using --${flags.prefix}auth aad.`,
    );
  }
  return key;
}

export function trustedCertificate(flag: string, file: string): string {
  const pem = readOptionFile(flag, file, "a PEM certificate");
  if (!pem.includes("-----BEGIN CERTIFICATE-----")) {
    throw new UsageError(
      `${flag} '${file}' holds no PEM certificate (no '-----BEGIN CERTIFICATE-----' line).`,
    );
  }
  return pem;
}

/** One account's flags (and environment variables) resolved into the engine's connection. */
async function accountConnection(
  flags: AccountFlags,
  options: ConnectionOptions,
): Promise<AccountConnection> {
  const flag = (name: string) => `--${flags.prefix}${name}`;
  const endpoint =
    options.endpoint || (flags.endpointVariable && process.env[flags.endpointVariable]?.trim());
  if (!endpoint) {
    throw new UsageError(`No account endpoint: pass --endpoint <url> or set ${flags.endpointVariable}.`);
  }
  if (options.auth === "aad" && options.keyFile) {
    throw new UsageError(
      `${flag("key-file")} and ${flag("auth")} aad contradict each other: drop one of them.`,
    );
  }
  if (options.auth === "aad" && !endpoint.startsWith("https:")) {
    throw new UsageError(
      `${flag("auth")} aad needs an https endpoint, not '${endpoint}': Entra ID tokens are only sent over TLS. Sign a plain-HTTP emulator with its key instead.`,
    );
  }
  if (options.insecureTls) {
    process.stderr.write(
      `warning: ${flag("insecure-tls")} turns off certificate checks; use it only for a local emulator.\n`,
    );
  }
  const tls = {
    caCertificate: options.caFile ? trustedCertificate(flag("ca-file"), options.caFile) : undefined,
    insecureTls: options.insecureTls === true,
  };
  if (options.auth === "aad") {
    // Loaded on demand: @azure/identity is heavy and most runs sign with the key.
    const { DefaultAzureCredential } = await import("@azure/identity");
    return { endpoint, credential: new DefaultAzureCredential(), ...tls };
  }
  return { endpoint, key: accountKey(flags, options), ...tls };
}

/** Resolves the global options (and COSMOS_ENDPOINT / COSMOS_KEY) into the engine's connection. */
export function connectionFrom(options: ConnectionOptions): Promise<AccountConnection> {
  return accountConnection(ownAccount, options);
}

/** The source flags as the account's, to be read by the same code. */
function sourceFlagValues(options: SourceConnectionOptions): ConnectionOptions {
  return {
    endpoint: options.srcEndpoint,
    keyFile: options.srcKeyFile,
    auth: options.srcAuth,
    insecureTls: options.srcInsecureTls,
    caFile: options.srcCaFile,
  };
}

/**
 * The source account's connection when `--src-endpoint` was given (a cross-account job), else undefined.
 * Its key comes from COSMOS_SOURCE_KEY or `--src-key-file`, like the account's.
 */
export async function sourceConnectionFrom(
  options: SourceConnectionOptions,
): Promise<AccountConnection | undefined> {
  const values = sourceFlagValues(options);
  if (values.endpoint) return accountConnection(sourceAccount, values);
  const stray = connectionFlags(sourceAccount, values);
  if (stray.length > 0) {
    throw new UsageError(
      `${stray.map((flag) => flag.split(" ")[0]).join(", ")} need --src-endpoint <url>: the source account's flags are for a source in another account than --endpoint's.`,
    );
  }
  return undefined;
}

/** Adds the source account's flags to a command that reads a cross-account job's source or starts its workers. */
export function addSourceAccountOptions(command: Command): Command {
  const refused = new Option("--src-key [key]").hideHelp();
  command
    .option(
      "--src-endpoint <url>",
      "endpoint of the account the source container is in, when it is another account than --endpoint's (which keeps the job and the destination)",
    )
    .option(
      "--src-key-file <file>",
      "file holding the source account's key (default: the COSMOS_SOURCE_KEY environment variable)",
    )
    .addOption(
      new Option("--src-auth <method>", "sign in to the source account with its key, or Entra ID").choices(
        authMethods,
      ),
    )
    .option("--src-ca-file <file>", "PEM certificate to trust for the source account")
    .option(
      "--src-insecure-tls",
      "skip TLS certificate checks for the source account: only for a local emulator",
    )
    .addOption(refused);
  // Refused as soon as it is parsed, without echoing its value.
  command.on("option:src-key", () =>
    command.error(`error: ${keyRefusal(sourceAccount)}`, { exitCode: 2, code: "cosmos-copy.keyRefused" }),
  );
  return command;
}

export function shellWord(value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

/** One account's flags the user typed (there is no key among them), for a suggested follow-up command. */
function connectionFlags(flags: AccountFlags, options: ConnectionOptions): string[] {
  const flag = (name: string) => `--${flags.prefix}${name}`;
  const typed: string[] = [];
  if (options.endpoint) typed.push(`${flag("endpoint")} ${shellWord(options.endpoint)}`);
  if (options.keyFile) typed.push(`${flag("key-file")} ${shellWord(options.keyFile)}`);
  if (options.auth === "aad") typed.push(`${flag("auth")} aad`);
  if (options.caFile) typed.push(`${flag("ca-file")} ${shellWord(options.caFile)}`);
  if (options.insecureTls) typed.push(flag("insecure-tls"));
  return typed;
}

/** The account's connection flags the user typed, for a suggested follow-up command. */
export function accountFlagsTyped(options: ConnectionOptions): string[] {
  return connectionFlags(ownAccount, options);
}

/** The source account's flags the user typed, likewise. */
export function sourceFlagsTyped(options: SourceConnectionOptions): string[] {
  return connectionFlags(sourceAccount, sourceFlagValues(options));
}
