export { createGatewayApp } from './create-gateway-app.js';
export { errorResponse, httpStatusOf, type OpenAiErrorBody, openAiErrorBody } from './error-response.js';
export type { GatewayEnv } from './gateway-env.js';
export { DEFAULT_MAX_BODY_BYTES, type GatewayOptions } from './gateway-options.js';
export { LocalBackend, type LocalBackendOptions, type LocalEngineOptions } from './local-backend.js';
export { RateLimiter, type RateLimitOptions } from './rate-limiter.js';
export type { GenerateRequest, ServedModel, ServingBackend } from './serving-backend.js';
export { type RunningGateway, type StartGatewayOptions, startGateway } from './start-gateway.js';
export { toServiceError } from './to-service-error.js';
