/**
 * Whether a metadata key names a secret. The key is normalized first (ASCII
 * lower case, the separators `-`, `_`, `.` removed), then matched whole, also
 * after a prefix (`x`) is stripped: `x-api-key`, `X-Auth-Token`, `xApiKey`,
 * `X.Api.Key` all name secrets; `tokenId`, `xTokenId` do not.
 */
export declare function isSecretKey(key: string): boolean;
/**
 * Whether a text looks like a credential: an HTTP authentication scheme,
 * whitespace and a credential (`Bearer abc`; anywhere, a credential-shaped
 * word: `token=Bearer s3cr3t-1`), or a compact JWS/JWE whose header decodes
 * to a JSON object. Ordinary sentences, URLs and dotted names pass.
 */
export declare function looksLikeCredential(value: string): boolean;
