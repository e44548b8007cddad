import { ForbiddenError } from '../errors.ts';
import { MFA_PRIVILEGES, ROLE_PRIVILEGES, type Privilege, type Role } from './roles.ts';

/** Who is calling, as established from a verified token. Present in every resolver's context. */
export interface Caller {
  subject: string;
  roles: Role[];
  /** Set for Customer (self-service) tokens: the only customer they may see. */
  customerId: string | null;
  /** Set for LoungeDevice tokens: the only lounge they may scan for. */
  loungeCode: string | null;
  mfa: boolean;
  /** When the token stops being valid (epoch milliseconds); a long-lived subscription is closed then. */
  expiresAt: number | null;
  /** The raw bearer token, forwarded on subgraph calls. */
  token: string;
}

export function hasPrivilege(caller: Caller, privilege: Privilege): boolean {
  if (MFA_PRIVILEGES.has(privilege) && !caller.mfa) return false;
  return caller.roles.some((role) => ROLE_PRIVILEGES[role].has(privilege));
}

/** True when the caller's only standing is as the customer itself (self-service). */
export function isSelfServiceOnly(caller: Caller): boolean {
  return caller.roles.every((r) => r === 'Customer');
}

export function requirePrivilege(caller: Caller, privilege: Privilege): void {
  if (hasPrivilege(caller, privilege)) return;
  if (MFA_PRIVILEGES.has(privilege) && !caller.mfa && caller.roles.some((r) => ROLE_PRIVILEGES[r].has(privilege))) {
    throw new ForbiddenError(`This action needs multi-factor authentication (${privilege})`);
  }
  throw new ForbiddenError(`Your roles (${caller.roles.join(', ') || 'none'}) do not grant ${privilege}`);
}

/**
 * A privilege over one customer's data. Staff roles need the privilege; a Customer token needs it too and must
 * be that customer. The message does not reveal whether the other customer exists.
 */
export function canAccessCustomer(caller: Caller, customerId: string, privilege: Privilege): boolean {
  if (caller.roles.some((r) => r !== 'Customer' && ROLE_PRIVILEGES[r].has(privilege))) {
    return hasPrivilege(caller, privilege);
  }
  return caller.roles.includes('Customer') && ROLE_PRIVILEGES.Customer.has(privilege) && caller.customerId === customerId;
}

export function requireCustomerAccess(caller: Caller, customerId: string, privilege: Privilege): void {
  if (canAccessCustomer(caller, customerId, privilege)) return;
  if (caller.roles.some((r) => r !== 'Customer' && ROLE_PRIVILEGES[r].has(privilege))) {
    requirePrivilege(caller, privilege); // explains the missing MFA
  }
  throw new ForbiddenError(`You may not access customer ${customerId} (${privilege})`);
}
