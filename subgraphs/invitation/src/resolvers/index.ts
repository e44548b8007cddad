import {
  ForbiddenError,
  NotFoundError,
  isSelfServiceOnly,
  localDay,
  type Caller,
  Privilege,
  normaliseFilter,
  requireCustomerAccess,
  requirePageSize,
  requirePrivilege,
  requireUuid,
  servedByTheGateway,
  toConnection,
} from '@cmp/platform';
import { DateTimeResolver } from 'graphql-scalars';
import type { Resolvers } from '../__generated__/resolvers-types.ts';
import type { Context } from '../context.ts';
import { registerDevice, setDeviceEnabled } from '../domain/devices.ts';
import { issueInvitation } from '../domain/invitations.ts';
import { resendInvitation, revokeInvitation } from '../domain/lifecycle.ts';
import { invitationsOfLoungeDay, scansOfLounge } from '../domain/lounge-activity.ts';
import { listLounges } from '../domain/lounges.ts';
import { validateQr } from '../domain/scans.ts';
import { signQr } from '../qr/payload.ts';
import { qrPngBase64, qrSvg } from '../qr/render.ts';
import { invitationRuntime } from '../runtime.ts';

/** Lounge staff (and other staff with read access): a customer's token sees its own invitations, not a lounge's. */
function requireStaff(caller: Caller): void {
  requirePrivilege(caller, Privilege.CustomerRead);
  if (isSelfServiceOnly(caller)) throw new ForbiddenError('Only staff see a lounge\'s invitations, scans and devices');
}

const isDeviceOf = (caller: Caller, loungeCode: string) => caller.roles.includes('LoungeDevice') && caller.loungeCode === loungeCode;

/** A lounge's own door devices, or staff: who may watch a lounge's scans. */
function requireLoungeWatcher(caller: Caller, loungeCode: string): void {
  if (!isDeviceOf(caller, loungeCode)) requireStaff(caller);
}

const page = (first: number | null | undefined, after: string | null | undefined) => ({ limit: requirePageSize('first', first, 50, 200), after: after ?? null });

export const resolvers: Resolvers<Context> = {
  DateTime: DateTimeResolver,
  Query: {
    invitation: async (_parent, { id }, { caller, loaders }) => {
      const row = await loaders.invitationById.load(requireUuid('id', id));
      if (row) requireCustomerAccess(caller, row.customerId, Privilege.CustomerRead);
      return row;
    },
    qrScan: async (_parent, { id }, { caller, loaders }) => {
      const row = await loaders.scanById.load(requireUuid('id', id));
      if (row) requireLoungeWatcher(caller, row.loungeCode);
      return row;
    },
    lounges: (_parent, _args, { caller, db }) => {
      requirePrivilege(caller, Privilege.CustomerRead);
      return listLounges(db);
    },
    lounge: (_parent, { code }, { caller, loaders }) => {
      const loungeCode = code.trim().toUpperCase();
      if (!isDeviceOf(caller, loungeCode)) requirePrivilege(caller, Privilege.CustomerRead);
      return loaders.loungeByCode.load(loungeCode);
    },
  },
  Subscription: {
    invitationStatusChanged: { subscribe: servedByTheGateway },
    qrScanned: { subscribe: servedByTheGateway },
  },
  Mutation: {
    issueInvitation: (_parent, { input }, { db, caller, events, requestId, traceparent, log }) => {
      requirePrivilege(caller, Privilege.InvitationIssue);
      return issueInvitation(db, caller, { events, requestId, traceparent, log }, invitationRuntime(), input);
    },
    revokeInvitation: (_parent, { id, reason }, { db, caller, events }) => {
      requirePrivilege(caller, Privilege.InvitationIssue);
      return revokeInvitation(db, caller, events, id, reason);
    },
    resendInvitation: (_parent, { id }, { db, caller, events }) => {
      requirePrivilege(caller, Privilege.InvitationIssue);
      return resendInvitation(db, caller, events, id);
    },
    validateQr: (_parent, { input }, { db, caller, events, log }) => validateQr(db, caller, events, invitationRuntime(), input, log),
    registerLoungeDevice: (_parent, { input }, { db, caller }) => {
      requirePrivilege(caller, Privilege.LoungeManage);
      return registerDevice(db, caller, input);
    },
    disableLoungeDevice: async (_parent, { id, reason }, { db, caller }) => {
      requirePrivilege(caller, Privilege.LoungeManage);
      const device = await setDeviceEnabled(db, caller, id, false, reason);
      invitationRuntime().devices.forget(id);
      return device;
    },
    enableLoungeDevice: async (_parent, { id }, { db, caller }) => {
      requirePrivilege(caller, Privilege.LoungeManage);
      const device = await setDeviceEnabled(db, caller, id, true, null);
      invitationRuntime().devices.forget(id);
      return device;
    },
  },
  Lounge: {
    invitations: async (lounge, { date, status, first, after }, { db, caller }) => {
      requireStaff(caller);
      const day = localDay(date ?? new Date(), lounge.timeZone);
      const p = page(first, after);
      const rows = await invitationsOfLoungeDay(db, lounge, day, normaliseFilter(status), p);
      return toConnection(rows, p.limit, (i) => ({ at: i.validFrom, id: i.id }));
    },
    scans: async (lounge, { since, outcome, first, after }, { db, caller }) => {
      requireLoungeWatcher(caller, lounge.code);
      const from = since ?? localDay(new Date(), lounge.timeZone).start;
      const p = page(first, after);
      const rows = await scansOfLounge(db, lounge.code, from, normaliseFilter(outcome), p);
      return toConnection(rows, p.limit, (s) => ({ at: s.scannedAt, id: s.id }));
    },
    occupancy: (lounge, _args, { loaders }) => loaders.occupancyOfLounge.load(lounge.code),
    devices: (lounge, _args, { caller, loaders }) => {
      requireStaff(caller);
      return loaders.devicesOfLounge.load(lounge.code);
    },
  },
  Invitation: {
    __resolveReference: async (reference, { caller, loaders }) => {
      const row = await loaders.invitationById.load(reference.id);
      if (row) requireCustomerAccess(caller, row.customerId, Privilege.CustomerRead);
      return row;
    },
    lounge: async (row, _args, { loaders }) => {
      const lounge = await loaders.loungeByCode.load(row.loungeCode);
      if (!lounge) throw new NotFoundError('Lounge', row.loungeCode);
      return lounge;
    },
    entriesRemaining: (row) => (row.status === 'ISSUED' ? Math.max(0, row.guests + 1 - row.entriesUsed) : 0),
    issuedAt: (row) => row.createdAt,
    qrCode: (row) => {
      const keys = invitationRuntime().keys;
      return {
        payload: signQr(
          { invitationId: row.id, notBefore: row.validFrom, expiresAt: row.validUntil, loungeCode: row.loungeCode, guests: row.guests },
          keys.signerFor(row.qrKeyId),
        ),
      };
    },
    scans: (row, _args, { loaders }) => loaders.scansOfInvitation.load(row.id),
    customer: (row) => ({ id: row.customerId }),
  },
  QrCode: {
    svg: (qr) => qrSvg(qr.payload),
    pngBase64: (qr) => qrPngBase64(qr.payload),
  },
  QrValidation: {
    invitation: (validation, _args, { loaders }) =>
      validation.invitation ?? (validation.invitationId ? loaders.invitationById.load(validation.invitationId) : null),
  },
  QrScan: {
    invitation: (scan, _args, { loaders }) => loaders.invitationById.load(scan.invitationId),
  },
  Customer: {
    __resolveReference: (reference) => ({ id: reference.id }),
    invitations: (customer, { status }, { caller, loaders }) => {
      requireCustomerAccess(caller, customer.id, Privilege.CustomerRead);
      return loaders.invitationsOfCustomer(customer.id, normaliseFilter(status));
    },
  },
};
