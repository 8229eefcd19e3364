/** The `Example:` block every command's `--help` ends with. */
export function examples(...commandLines: string[]): string {
  return `\nExample:\n${commandLines.map((line) => `  $ ${line}`).join("\n")}\n`;
}
