/**
 * SDK clients as the handlers build them. No endpoint is set here: the SDK v3 reads AWS_ENDPOINT_URL and
 * AWS_ENDPOINT_URL_<SERVICE> (e.g. AWS_ENDPOINT_URL_DYNAMODB, AWS_ENDPOINT_URL_SQS) by itself, so the same
 * code runs against the local emulators. Retries stay the SDK's standard ones; the drain's partial batch
 * response is the outer retry.
 */
export function requireEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`environment variable ${name} is not set`);
  return value;
}

/**
 * SQS clients follow the queue URL's host by default (`useQueueUrlAsEndpoint`), which overrides
 * AWS_ENDPOINT_URL_SQS: emulators hand out URLs like http://sqs.us-east-1.localhost:port/... that do not
 * resolve. When an endpoint is configured, keep it.
 */
export function sqsEndpointConfigured(): boolean {
  return Boolean(process.env.AWS_ENDPOINT_URL_SQS || process.env.AWS_ENDPOINT_URL);
}
