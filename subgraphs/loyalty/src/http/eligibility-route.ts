import {
  AppError,
  ErrorCode,
  Privilege,
  requestIdFrom,
  requireCustomerAccess,
  traceparentFrom,
  type Database,
  type Logger,
  type TokenVerifier,
} from '@cmp/platform';
import type { Router } from 'express';
import { loungeEligibility } from '../domain/lounge-access.ts';

const STATUS: Record<string, number> = {
  [ErrorCode.UNAUTHENTICATED]: 401,
  [ErrorCode.FORBIDDEN]: 403,
  [ErrorCode.BAD_USER_INPUT]: 400,
  [ErrorCode.NOT_FOUND]: 404,
};

const text = (value: unknown) => (typeof value === 'string' ? value : '');

/**
 * `GET /v1/lounge-eligibility?customerId=&loungeCode=&cabin=&date=` for lounge and partner systems that ask over
 * REST: the same decision as the GraphQL field, with the same token and access rules.
 */
export function eligibilityRoutes(router: Router, { db, verifier, logger }: { db: Database; verifier: TokenVerifier; logger: Logger }): void {
  router.get('/v1/lounge-eligibility', async (req, res) => {
    const requestId = requestIdFrom(req.headers['x-request-id']);
    res.setHeader('x-request-id', requestId);
    try {
      const caller = await verifier.verify(req.headers.authorization);
      const customerId = text(req.query.customerId);
      requireCustomerAccess(caller, customerId, Privilege.CustomerRead);
      const date = req.query.date ? new Date(text(req.query.date)) : null;
      const answer = await loungeEligibility(db, caller, { source: 'cmp.loyalty', traceparent: traceparentFrom(req.headers.traceparent) }, {
        customerId,
        loungeCode: text(req.query.loungeCode),
        cabin: text(req.query.cabin),
        date,
      });
      res.json({
        customerId: answer.customerId,
        loungeCode: answer.loungeCode,
        cabin: answer.cabin,
        date: answer.date.toISOString(),
        eligible: answer.eligible,
        guestsAllowed: answer.guestsAllowed,
        reason: answer.reason,
        tier: answer.tier,
        source: answer.source,
        dataAsOf: answer.dataAsOf?.toISOString() ?? null,
      });
    } catch (error) {
      if (error instanceof AppError) {
        res.status(STATUS[error.code] ?? 409).json({ error: { code: error.code, message: error.message, ...(error.extensions.field ? { field: error.extensions.field } : {}), requestId } });
        return;
      }
      logger.error({ err: error, requestId }, 'lounge eligibility failed');
      res.status(500).json({ error: { code: ErrorCode.INTERNAL_SERVER_ERROR, message: 'Internal server error', requestId } });
    }
  });
}
