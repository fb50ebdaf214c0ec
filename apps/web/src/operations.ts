import { gql, type TypedDocumentNode } from "@apollo/client";

/** The operations the app sends, typed by hand against the public API (design.md); names match the schema. */

export interface User {
  id: string;
  email: string;
  permissions: string[];
}

export interface Session {
  id: string;
  createdAt: string;
  lastSeenAt: string;
  expiresAt: string;
  userAgent: string | null;
  ip: string | null;
  current: boolean;
}

export interface Document {
  id: string;
  title: string;
  body: string;
  public: boolean;
  createdAt: string;
}

interface Credentials {
  email: string;
  password: string;
}

export const ME: TypedDocumentNode<{ me: User | null }, Record<string, never>> = gql`
  query Me {
    me {
      id
      email
      permissions
    }
  }
`;

export const LOGIN: TypedDocumentNode<{ login: { user: User; expiresAt: string } }, Credentials> = gql`
  mutation Login($email: String!, $password: String!) {
    login(email: $email, password: $password) {
      user {
        id
        email
        permissions
      }
      expiresAt
    }
  }
`;

export const SIGN_UP: TypedDocumentNode<{ signUp: { user: User; expiresAt: string } }, Credentials> = gql`
  mutation SignUp($email: String!, $password: String!) {
    signUp(email: $email, password: $password) {
      user {
        id
        email
        permissions
      }
      expiresAt
    }
  }
`;

export const LOGOUT: TypedDocumentNode<{ logout: boolean }, Record<string, never>> = gql`
  mutation Logout {
    logout
  }
`;

export const MY_SESSIONS: TypedDocumentNode<{ mySessions: Session[] }, Record<string, never>> = gql`
  query MySessions {
    mySessions {
      id
      createdAt
      lastSeenAt
      expiresAt
      userAgent
      ip
      current
    }
  }
`;

export const REVOKE_SESSION: TypedDocumentNode<{ revokeSession: boolean }, { id: string }> = gql`
  mutation RevokeSession($id: ID!) {
    revokeSession(id: $id)
  }
`;

export const REVOKE_OTHER_SESSIONS: TypedDocumentNode<{ revokeOtherSessions: number }, Record<string, never>> = gql`
  mutation RevokeOtherSessions {
    revokeOtherSessions
  }
`;

export const CHANGE_PASSWORD: TypedDocumentNode<
  { changePassword: boolean },
  { currentPassword: string; newPassword: string }
> = gql`
  mutation ChangePassword($currentPassword: String!, $newPassword: String!) {
    changePassword(currentPassword: $currentPassword, newPassword: $newPassword)
  }
`;

export const MY_DOCUMENTS: TypedDocumentNode<{ documents: Document[] }, Record<string, never>> = gql`
  query MyDocuments {
    documents {
      id
      title
      body
      public
      createdAt
    }
  }
`;

export const CREATE_DOCUMENT: TypedDocumentNode<
  { createDocument: Document },
  { title: string; body: string; public: boolean }
> = gql`
  mutation CreateDocument($title: String!, $body: String!, $public: Boolean!) {
    createDocument(title: $title, body: $body, public: $public) {
      id
      title
      body
      public
      createdAt
    }
  }
`;

/**
 * Operations whose UNAUTHENTICATED answer is about the credentials typed into a form (a wrong password), not about
 * the session having ended: the app shows those errors in place instead of returning to the sign-in screen.
 */
export const CREDENTIAL_OPERATIONS: ReadonlySet<string> = new Set(["Login", "SignUp", "ChangePassword"]);
