import { describe, expect, it } from 'vitest';
import { Privilege, ROLES, callerWith, hasPrivilege, requireCustomerAccess, canAccessCustomer } from './support.ts';

/** DOMAIN.md's matrix, column by column: Create, Read, Update, Delete/Deactivate, Manage complaints, Merge. */
const MATRIX = {
  Admin: [1, 1, 1, 1, 1, 1],
  CustomerManager: [1, 1, 1, 1, 1, 1],
  SalesRep: [1, 1, 1, 0, 0, 0],
  SupportAgent: [0, 1, 0, 0, 1, 0],
  Viewer: [0, 1, 0, 0, 0, 0],
} as const;
const COLUMNS = [
  Privilege.CustomerCreate,
  Privilege.CustomerRead,
  Privilege.CustomerUpdate,
  Privilege.CustomerDeactivate,
  Privilege.ComplaintManage,
  Privilege.CustomerMerge,
];

describe('role matrix', () => {
  for (const [role, row] of Object.entries(MATRIX)) {
    it(`grants ${role} exactly its row of DOMAIN.md's matrix`, () => {
      const caller = callerWith(role as keyof typeof MATRIX);
      expect(COLUMNS.map((p) => (hasPrivilege(caller, p) ? 1 : 0))).toEqual(row);
    });
  }

  it('gives the airline roles their narrower additions', () => {
    expect(hasPrivilege(callerWith('ContactCentreAgent'), Privilege.InvitationIssue)).toBe(true);
    expect(hasPrivilege(callerWith('CheckInAgent'), Privilege.InvitationIssue)).toBe(true);
    expect(hasPrivilege(callerWith('SupportAgent'), Privilege.InvitationIssue)).toBe(false);
    expect(hasPrivilege(callerWith('CustomerAffairsExecutive'), Privilege.CompensationApprove)).toBe(true);
    expect(hasPrivilege(callerWith('MarketingManager'), Privilege.TestimonialApprove)).toBe(true);
    expect(hasPrivilege(callerWith('LoyaltyManager'), Privilege.LoyaltyManage)).toBe(true);
    expect(hasPrivilege(callerWith('DataAnalyst'), Privilege.CustomerRead)).toBe(false);
    expect(hasPrivilege(callerWith('LoungeDevice', { loungeCode: 'MAD-DALI' }), Privilege.QrValidate)).toBe(true);
    for (const role of ROLES.filter((r) => r !== 'LoungeDevice')) {
      expect(hasPrivilege(callerWith(role), Privilege.QrValidate), role).toBe(false);
    }
  });

  it('demands MFA for sensitive reads, export and erasure', () => {
    expect(hasPrivilege(callerWith('DataPrivacyOfficer'), Privilege.GdprErase)).toBe(false);
    expect(hasPrivilege(callerWith('DataPrivacyOfficer', { mfa: true }), Privilege.GdprErase)).toBe(true);
    expect(() => requireCustomerAccess(callerWith('DataPrivacyOfficer'), 'c1', Privilege.SensitiveRead)).toThrow(/multi-factor/);
  });

  it('confines a Customer token to its own customer', () => {
    const me = callerWith('Customer', { customerId: 'c1' });
    expect(canAccessCustomer(me, 'c1', Privilege.CustomerRead)).toBe(true);
    expect(canAccessCustomer(me, 'c2', Privilege.CustomerRead)).toBe(false);
    expect(canAccessCustomer(me, 'c1', Privilege.CustomerCreate)).toBe(false);
    expect(() => requireCustomerAccess(me, 'c2', Privilege.CustomerRead)).toThrow(expect.objectContaining({ extensions: { code: 'FORBIDDEN' } }));
  });
});
