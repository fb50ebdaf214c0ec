export const TITLE_MAX_CHARACTERS = 200;
export const BODY_MAX_CHARACTERS = 100_000;
export const PUBLIC_DOCUMENTS_MAX_FIRST = 100;
/** MAX_DOCUMENTS_PER_USER's default: no user's documents grow without bound. */
export const DEFAULT_MAX_DOCUMENTS_PER_USER = 1000;
/** Largest page of User.documents and Query.documents. */
export const DOCUMENTS_PAGE_MAX_FIRST = 100;

/** Counts code points, so an emoji is one character as a user sees it rather than two UTF-16 units. */
export const characterCount = (text: string): number => [...text].length;
