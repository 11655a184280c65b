import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';

export const ADMIN_API_KEY = 'admin-api-key';
export const COGNITO_BEARER = 'cognito-bearer';

export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('iot-provisioner')
    .setDescription(
      'Least-privilege AWS IoT Core access for mobile apps and devices: Cognito users with their own MQTT topic space, ' +
        'X.509 devices, temporary AWS credentials for MQTT over WebSocket. Errors always answer `{ code, message, details?, requestId }`.',
    )
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
export function setupSwagger(app: INestApplication): void {
  SwaggerModule.setup('docs', app, () => buildOpenApiDocument(app), {
    jsonDocumentUrl: 'docs/openapi.json',
    useGlobalPrefix: false,
    yamlDocumentUrl: undefined,
  });
}
