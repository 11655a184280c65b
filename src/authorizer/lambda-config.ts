import { loadConfig, type AppConfig } from '../config/app-config.js';
import { ConfigError, type Env } from '../config/env-parsers.js';

/** What the authorizer Lambda needs: the service's settings it shares, and where to ask about users. */
export interface LambdaConfig {
  app: AppConfig;
  /** Base URL of this service, e.g. https://iot-provisioner.internal.example.com */
  serviceUrl: string;
  secret: string;
}

/**
 * Reads the Lambda's environment with the service's own loadConfig.
 * Unlike the service, the Lambda cannot run without its settings, so every missing one is fatal.
 * It needs no account id or resource prefix: the service answers the policy documents.
 */
export function loadLambdaConfig(env: Env): LambdaConfig {
  const app = loadConfig(env);
  const serviceUrl = app.authorizerServiceUrl;
  const problems: string[] = [];
  if (serviceUrl && new URL(serviceUrl).protocol === 'http:' && !isLoopback(serviceUrl)) {
    problems.push('AUTHORIZER_SERVICE_URL must be https: (the shared secret travels in a header), except on loopback');
  }
  const required: Record<string, unknown> = {
    AWS_REGION: app.aws.region,
    COGNITO_CLIENT_ID: app.cognito.clientId,
    COGNITO_USER_POOL_ID: app.cognito.userPoolId ?? app.cognito.issuer,
    AUTHORIZER_SECRET: app.authorizerSecret,
    AUTHORIZER_SERVICE_URL: serviceUrl,
  };
  for (const [name, value] of Object.entries(required)) if (!value) problems.push(`${name} must be set for the authorizer Lambda`);
  if (problems.length > 0) throw new ConfigError(problems);
  return {
    app,
    serviceUrl: serviceUrl!,
    secret: app.authorizerSecret!,
  };
}

function isLoopback(url: string): boolean {
  return ['localhost', '127.0.0.1', '[::1]'].includes(new URL(url).hostname);
}
