/**
 * How far apart two hosts' clocks may be: every JWT verification (gateway contexts, service tokens, access tokens)
 * accepts exp, nbf and iat this many seconds off, so a verifier a second behind its signer does not refuse fresh
 * tokens. Small against every lifetime (contexts live 60 s).
 */
export const CLOCK_TOLERANCE_SECONDS = 5;
