import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import type { AwsMode } from '../../config/app-config.js';

export const ADMIN_API_KEY = 'admin-api-key';
export const COGNITO_BEARER = 'cognito-bearer';

const DESCRIPTION =
  'Least-privilege AWS IoT Core access for mobile apps and devices: Cognito users with their own MQTT topic space, ' +
  'X.509 devices, temporary AWS credentials for MQTT over WebSocket. Errors always answer `{ code, message, details?, requestId }`.';
const LOCAL_MODE_NOTE =
  '**LOCAL MODE**: this service plays Amazon Cognito and AWS IoT Core itself (no AWS settings, or AWS_MODE=local). ' +
  "Users, tokens, credentials and certificates are the local IoT Core's, MQTT clients connect to the local broker and must trust " +
  'the CA at GET /v1/mqtt/ca. Nothing reaches AWS.\n\n';

export function buildOpenApiDocument(app: INestApplication, mode: AwsMode = 'aws'): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('iot-provisioner')
    .setDescription(mode === 'local' ? LOCAL_MODE_NOTE + DESCRIPTION : DESCRIPTION)
    .setVersion('1')
    .addApiKey({ type: 'apiKey', name: 'x-api-key', in: 'header', description: 'One of ADMIN_API_KEYS' }, ADMIN_API_KEY)
    .addBearerAuth(
      { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'A Cognito ID token from the configured user pool' },
      COGNITO_BEARER,
    )
    .build();
  return SwaggerModule.createDocument(app, config);
}

/** Swagger UI at /docs and the document at /docs/openapi.json, outside the /v1 prefix. */
export function setupSwagger(app: INestApplication, mode: AwsMode = 'aws'): void {
  SwaggerModule.setup('docs', app, () => buildOpenApiDocument(app, mode), {
    jsonDocumentUrl: 'docs/openapi.json',
    useGlobalPrefix: false,
    yamlDocumentUrl: undefined,
  });
}
