/** The header in which the deployed authorizer Lambda presents AUTHORIZER_SECRET to the service. */
export const AUTHORIZER_SECRET_HEADER = 'x-authorizer-secret';
