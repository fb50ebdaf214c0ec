export const DOCUMENTS_READ = "documents:read";
export const DOCUMENTS_WRITE = "documents:write";
