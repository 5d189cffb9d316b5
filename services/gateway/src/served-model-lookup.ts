import { ServiceError } from '@pdserve/protocol';
import type { ServedModel, ServingBackend } from './serving-backend.js';

/**
 * The model a request names. A request without `model` gets the only model when exactly one is
 * served (as vLLM does); an unknown name is a 404 'model_not_found'.
 */
export function lookupModel(backend: ServingBackend, name: string | null | undefined): ServedModel {
  const models = backend.models();
  if (name == null) {
    if (models.length === 1) return models[0];
    throw new ServiceError('invalid_request', 'the model field is required', { param: 'model' });
  }
  const found = models.find((m) => m.name === name);
  if (found) return found;
  throw new ServiceError('model_not_found', `The model '${name}' does not exist`, { param: 'model' });
}
