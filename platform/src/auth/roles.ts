/**
 * Roles and privileges from DOMAIN.md. The five roles of the customer-management matrix, plus the airline roles
 * mapped onto them with their narrower additions.
 */
export const ROLES = [
  'Admin',
  'CustomerManager',
  'SalesRep',
  'SupportAgent',
  'Viewer',
  'ContactCentreAgent',
  'CheckInAgent',
  'CustomerAffairsExecutive',
  'MarketingManager',
  'DataPrivacyOfficer',
  'LoyaltyManager',
  'DataAnalyst',
  'LoungeDevice',
  'Customer',
] as const;
export type Role = (typeof ROLES)[number];

export const Privilege = {
  CustomerCreate: 'customer:create',
  CustomerRead: 'customer:read',
  CustomerUpdate: 'customer:update',
  CustomerDeactivate: 'customer:deactivate',
  CustomerMerge: 'customer:merge',
  ComplaintManage: 'complaint:manage',
  InteractionLog: 'interaction:log',
  InvitationIssue: 'invitation:issue',
  CompensationApprove: 'compensation:approve',
  TestimonialApprove: 'testimonial:approve',
  SegmentRead: 'segment:read',
  LoyaltyManage: 'loyalty:manage',
  SensitiveRead: 'sensitive:read',
  GdprExport: 'gdpr:export',
  GdprErase: 'gdpr:erase',
  AggregateRead: 'aggregate:read',
  QrValidate: 'qr:validate',
  LoungeManage: 'lounge:manage',
  CaseRoutingManage: 'case-routing:manage',
  /** Reading a customer's audit trail across the subgraphs (DataPrivacyOfficer). */
  AuditRead: 'audit:read',
  /** Defining e-mail templates (marketing). */
  TemplateManage: 'template:manage',
  /** Reading the messages captured instead of sent (development and staging mailboxes). */
  CapturedMessagesRead: 'captured-messages:read',
} as const;
export type Privilege = (typeof Privilege)[keyof typeof Privilege];

const P = Privilege;
const readOnly: Privilege[] = [P.CustomerRead];
const supportAgent: Privilege[] = [P.CustomerRead, P.ComplaintManage, P.InteractionLog];

/** The matrix of DOMAIN.md: Create, Read, Update, Delete/Deactivate, Manage complaints, Merge. */
export const ROLE_PRIVILEGES: Record<Role, ReadonlySet<Privilege>> = {
  Admin: new Set(Object.values(P).filter((p) => p !== P.QrValidate)),
  CustomerManager: new Set([
    P.CustomerCreate,
    P.CustomerRead,
    P.CustomerUpdate,
    P.CustomerDeactivate,
    P.CustomerMerge,
    P.ComplaintManage,
    P.InteractionLog,
    P.InvitationIssue,
    P.LoyaltyManage,
    P.CaseRoutingManage,
    P.SegmentRead,
  ]),
  SalesRep: new Set([P.CustomerCreate, P.CustomerRead, P.CustomerUpdate, P.InteractionLog]),
  SupportAgent: new Set(supportAgent),
  Viewer: new Set(readOnly),
  ContactCentreAgent: new Set([...supportAgent, P.InvitationIssue]),
  CheckInAgent: new Set([...supportAgent, P.InvitationIssue]),
  CustomerAffairsExecutive: new Set([...supportAgent, P.CompensationApprove]),
  MarketingManager: new Set([P.CustomerRead, P.TestimonialApprove, P.SegmentRead, P.TemplateManage]),
  DataPrivacyOfficer: new Set([P.CustomerRead, P.SensitiveRead, P.GdprExport, P.GdprErase, P.AuditRead]),
  LoyaltyManager: new Set([P.CustomerRead, P.LoyaltyManage]),
  DataAnalyst: new Set([P.AggregateRead]),
  LoungeDevice: new Set([P.QrValidate]),
  // A customer's rights are over its own record only; checks pair them with an ownership test.
  Customer: new Set([P.CustomerRead, P.ComplaintManage]),
};

/** Privileges that also demand a token showing multi-factor authentication (DOMAIN.md). */
export const MFA_PRIVILEGES: ReadonlySet<Privilege> = new Set([P.SensitiveRead, P.GdprExport, P.GdprErase, P.AuditRead]);

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}
