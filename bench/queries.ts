/** The one-subgraph query of scenarios A, B, C and the peers. */
export const PUBLIC_QUERY = "{ publicDocuments(first: 10) { id title } }";
/** Scenario D: auth resolves `me`, documents resolves `User.documents`. */
export const TWO_SUBGRAPH_QUERY = "{ me { id email documents { id title } } }";
export const ME_QUERY = "{ me { id } }";

export const SIGN_UP = `mutation SignUp($email: String!, $password: String!) {
  signUp(email: $email, password: $password) { user { id } }
}`;
export const LOGIN = `mutation Login($email: String!, $password: String!) {
  login(email: $email, password: $password) { user { id } }
}`;
export const LOGIN_WITH_TOKEN = `mutation LoginToken($email: String!, $password: String!) {
  login(email: $email, password: $password, transport: TOKEN) { user { id } accessToken refreshToken }
}`;
export const LOGOUT = "mutation { logout }";
export const CREATE_DOCUMENT = `mutation Create($title: String!, $body: String!, $public: Boolean!) {
  createDocument(title: $title, body: $body, public: $public) { id }
}`;
