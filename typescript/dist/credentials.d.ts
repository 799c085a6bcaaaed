/**
 * Whether a metadata key names a secret: the whole key, ignoring ASCII case
 * and the separators `-`, `_`, `.`; also behind the header prefix `x-` / `x_`.
 */
export declare function isSecretKey(key: string): boolean;
/**
 * Whether a text looks like a credential: an HTTP authentication scheme,
 * whitespace and a credential (`Bearer abc`; anywhere, a credential-shaped
 * word: `token=Bearer s3cr3t-1`), or a compact JWS/JWE whose header decodes
 * to a JSON object. Ordinary sentences, URLs and dotted names pass.
 */
export declare function looksLikeCredential(value: string): boolean;
