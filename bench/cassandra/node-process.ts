import * as fs from "node:fs";

/**
 * The process id of the local process listening on TCP `port` (IPv4), found as `ss -ltp` finds it: the
 * listening socket's inode in /proc/net/tcp, then the process holding a descriptor of that socket. It lets
 * the bench read a local Cassandra node's CPU time however the node was started. Undefined where there is no
 * /proc, or when the listener is not on this machine or not readable by this user.
 */
const listening = "0A";

function listeningInode(port: number): string | undefined {
  let table: string;
  try {
    table = fs.readFileSync("/proc/net/tcp", "utf8");
  } catch {
    return undefined;
  }
  for (const line of table.split("\n").slice(1)) {
    const fields = line.trim().split(/\s+/);
    const [, local, , state] = fields;
    if (state === listening && local && parseInt(local.split(":")[1], 16) === port) return fields[9];
  }
  return undefined;
}

export function processListeningOn(port: number): number | undefined {
  const inode = listeningInode(port);
  if (inode === undefined) return undefined;
  const socket = `socket:[${inode}]`;
  for (const pid of fs.readdirSync("/proc").filter((name) => /^\d+$/.test(name))) {
    let descriptors: string[];
    try {
      descriptors = fs.readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue; // gone, or another user's
    }
    for (const fd of descriptors) {
      try {
        if (fs.readlinkSync(`/proc/${pid}/fd/${fd}`) === socket) return Number(pid);
      } catch {
        // closed meanwhile
      }
    }
  }
  return undefined;
}
