import { randomBytes, randomUUID } from "node:crypto";

/**
 * Resource ids (`_rid`) in the service's shape: base64 of the parent's bytes plus the resource's own, with
 * `/` written as `-`. The SDK decodes a container's rid to 8 bytes for session tokens, so the lengths matter.
 */
function encode(bytes: Buffer): string {
  return bytes.toString("base64").replace(/\//g, "-");
}

function decode(rid: string): Buffer {
  return Buffer.from(rid.replace(/-/g, "/"), "base64");
}

export function newDatabaseRid(): string {
  return encode(randomBytes(4));
}

export function newChildRid(parentRid: string, ownBytes: number): string {
  return encode(Buffer.concat([decode(parentRid), randomBytes(ownBytes)]));
}

export const newContainerRid = (databaseRid: string) => newChildRid(databaseRid, 4);
export const newItemRid = (containerRid: string) => newChildRid(containerRid, 8);
export const newUserRid = (databaseRid: string) => newChildRid(databaseRid, 4);
export const newPermissionRid = (userRid: string) => newChildRid(userRid, 8);
export const newOfferRid = () => encode(randomBytes(3)).slice(0, 4);

/** Whether `rid` is the rid of a child of `parentRid` taking `ownBytes` bytes of its own (an item: 8). */
export function isChildRid(parentRid: string, rid: string, ownBytes: number): boolean {
  const parent = decode(parentRid);
  const child = decode(rid);
  return child.length === parent.length + ownBytes && child.subarray(0, parent.length).equals(parent);
}

/** Etags carry their double quotes inside the value, as the service's do. */
export function newEtag(): string {
  return `"${randomUUID()}"`;
}

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}
