import * as fs from "node:fs";
import * as path from "node:path";
import selfsigned from "selfsigned";

export interface TlsMaterial {
  cert: string;
  key: string;
}

/**
 * A self-signed certificate for localhost and 127.0.0.1, like the official emulator's. It is made once per
 * data directory and reused, so a client that trusts it keeps working across restarts.
 */
export async function loadOrCreateCertificate(dataDir: string): Promise<TlsMaterial> {
  const certPath = path.join(dataDir, "cert.pem");
  const keyPath = path.join(dataDir, "key.pem");
  if (fs.existsSync(certPath) && fs.existsSync(keyPath)) {
    return { cert: fs.readFileSync(certPath, "utf8"), key: fs.readFileSync(keyPath, "utf8") };
  }
  const generated = await selfsigned.generate([{ name: "commonName", value: "localhost" }], {
    notAfterDate: new Date(Date.now() + 10 * 365 * 24 * 3600 * 1000),
    keySize: 2048,
    extensions: [
      {
        name: "subjectAltName",
        altNames: [
          { type: 2, value: "localhost" },
          { type: 7, ip: "127.0.0.1" },
        ],
      },
    ],
  });
  fs.mkdirSync(dataDir, { recursive: true });
  fs.writeFileSync(keyPath, generated.private, { mode: 0o600 });
  fs.writeFileSync(certPath, generated.cert);
  return { cert: generated.cert, key: generated.private };
}
