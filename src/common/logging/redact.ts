/**
 * Paths pino replaces with "[redacted]" wherever they appear in a log line. Request bodies are
 * never logged, but errors and service logs can carry these fields; this is the net under them.
 */
const SECRET_FIELDS = [
  'password',
  'newPassword',
  'temporaryPassword',
  'idToken',
  'accessToken',
  'refreshToken',
  'token',
  'session',
  'secretAccessKey',
  'sessionToken',
  'privateKey',
  'clientSecret',
  'authorization',
  'credentials',
];

export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'req.headers["x-authorizer-secret"]',
  'req.headers.cookie',
  ...SECRET_FIELDS.flatMap((field) => [field, `*.${field}`, `*.*.${field}`]),
];
