export { ServiceError, type ServiceErrorCode, type ServiceErrorInit } from './service-error.js';
