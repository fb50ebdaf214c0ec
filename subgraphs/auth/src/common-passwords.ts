import { readFileSync } from "node:fs";
import path from "node:path";

const LIST_FILE = path.resolve(__dirname, "data/common-passwords.txt");

let common: ReadonlySet<string> | null = null;

/** Read on first use (about 90 KB), then kept; see data/README.md for where the list comes from. */
function commonPasswords(): ReadonlySet<string> {
  common ??= new Set(
    readFileSync(LIST_FILE, "utf8")
      .split("\n")
      .filter((line) => line !== ""),
  );
  return common;
}

/** True when the password, ignoring case, is one of the bundled common passwords. */
export function isCommonPassword(password: string): boolean {
  return commonPasswords().has(password.toLowerCase());
}
