/** A session token is "<public id>.<secret>": the id names the session, the secret proves possession. */
export interface SessionToken {
  id: string;
  secret: string;
}

/** 16 random bytes of id and 32 of secret (256 bits, well over the 128 required), both base64url without padding. */
export const SESSION_ID_BYTES = 16;
export const SESSION_SECRET_BYTES = 32;
const TOKEN_PATTERN = /^([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})$/;

/** Parses a token without touching any store; null for anything malformed, so garbage never costs a lookup. */
export function parseSessionToken(text: string): SessionToken | null {
  const match = TOKEN_PATTERN.exec(text);
  if (!match) return null;
  return { id: match[1] as string, secret: match[2] as string };
}

export function formatSessionToken(token: SessionToken): string {
  return `${token.id}.${token.secret}`;
}
