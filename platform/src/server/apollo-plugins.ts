import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { isUnexpectedError } from '../errors.ts';
import type { Logger } from '../logger.ts';

interface RequestScoped extends BaseContext {
  requestId?: string;
}

/**
 * Logs every unexpected error with its request id (the client sees only INTERNAL_SERVER_ERROR), and stamps the
 * request id on every error sent, so a caller can quote it to support.
 */
export function errorReportingPlugin<T extends RequestScoped>(logger: Logger): ApolloServerPlugin<T> {
  return {
    async requestDidStart() {
      return {
        async didEncounterErrors({ errors, contextValue, operationName }) {
          for (const error of errors) {
            if (isUnexpectedError(error)) {
              logger.error(
                { err: error.originalError ?? error, requestId: contextValue.requestId, operationName, path: error.path },
                'unexpected error',
              );
            }
          }
        },
        async willSendResponse({ response, contextValue }) {
          const { requestId } = contextValue;
          if (response.body.kind !== 'single' || !requestId || !response.body.singleResult.errors) return;
          response.body.singleResult.errors = response.body.singleResult.errors.map((error) => ({
            ...error,
            extensions: { ...error.extensions, requestId },
          }));
        },
      };
    },
  };
}
