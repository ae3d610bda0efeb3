// Which values the audit log keeps out of its rows: those stored under a name that says it is a secret — a
// column of the schema (password_hash, apiKey) or a key of a typed tool's arguments. Decided on the name's words,
// so "author_id" is not "auth" and "tokenizer_state" is not "token". A name a caller chose for a bound parameter
// (":token") is not a column and decides nothing (see statement-view.ts).

/** Single words that make a name a secret. */
const SECRET_WORDS = new Set([
  'password',
  'passwd',
  'passphrase',
  'pwd',
  'secret',
  'token',
  'tokens',
  'credential',
  'credentials',
  'cookie',
  'cookies',
  'apikey',
  'auth',
  'authorization',
  'otp',
  'nonce',
]);

/** Pairs of consecutive words that make a name a secret (api_key, privateKey, session_key, access_key). */
const SECRET_PAIRS = new Set([
  'api key',
  'private key',
  'session key',
  'access key',
  'secret key',
  'signing key',
]);

/** The lower-case words of a name: snake_case, kebab-case, camelCase and spaces all split. */
function words(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
}

export function isSecretName(name: string): boolean {
  const parts = words(name);
  return parts.some(
    (word, i) => SECRET_WORDS.has(word) || (i > 0 && SECRET_PAIRS.has(`${parts[i - 1]} ${word}`)),
  );
}
