export type KitLogFields = Readonly<Record<string, string | number | boolean | null | undefined>>;

/** What the kit logs through: any logger with these methods (the monorepo's createLogger, or an adapter to pino). */
export interface KitLogger {
  info(event: string, fields?: KitLogFields): void;
  warn(event: string, fields?: KitLogFields): void;
  /** `error`, when given, is what went wrong, to be logged with its stack; the client never sees it. */
  error(event: string, fields?: KitLogFields, error?: unknown): void;
}
