import { ForbiddenError } from '../errors.ts';
import { hasPrivilege, requirePrivilege, type Caller } from './caller.ts';
import { MFA_PRIVILEGES, Privilege, ROLE_PRIVILEGES, type Role } from './roles.ts';

/**
 * Who may call a root field at all, checked by the platform before the resolver runs (so before any input is
 * validated or anything is looked up). Resolvers still check what depends on the data (whose customer it is).
 * - `privilege`: a staff role granting it (with MFA where the privilege demands it), or any of them for a list;
 * - `self`: a Customer token may also call it, on its own data only (its resolver checks the ownership);
 * - `device`: a LoungeDevice token may also call it, for its own lounge only (its resolver checks which);
 * - `public`: any authenticated caller; `device-only`: lounge door devices only (validateQr).
 */
export type OperationAccess =
  | { privilege: Privilege | Privilege[]; self?: boolean; device?: boolean }
  | 'public'
  | 'device-only';

const P = Privilege;
const staff = (privilege: Privilege | Privilege[]): OperationAccess => ({ privilege });
const selfOr = (privilege: Privilege | Privilege[]): OperationAccess => ({ privilege, self: true });

/** Every Query and Mutation root field of the supergraph. `test/access-matrix.test.ts` keeps it complete. */
export const OPERATION_ACCESS: { Query: Record<string, OperationAccess>; Mutation: Record<string, OperationAccess> } = {
  Query: {
    // case
    case: selfOr(P.CustomerRead),
    calculateCompensation: selfOr(P.CustomerRead),
    myWorkList: staff(P.ComplaintManage),
    agentWorkList: staff(P.ComplaintManage),
    queueWorkList: staff(P.ComplaintManage),
    queues: staff(P.ComplaintManage),
    routingRules: staff(P.ComplaintManage),
    slaPolicies: staff(P.ComplaintManage),
    // customer
    customer: selfOr(P.CustomerRead),
    customerByNumber: selfOr(P.CustomerRead),
    customerByPassport: staff(P.SensitiveRead),
    searchCustomers: staff(P.CustomerRead),
    contactImport: staff(P.CustomerUpdate),
    contactExport: selfOr(P.CustomerRead),
    dataSubjectExport: selfOr(P.GdprExport),
    segmentAggregates: staff(P.AggregateRead),
    erasurePreview: staff(P.GdprErase),
    erasureReport: staff(P.GdprErase),
    auditTrail: staff(P.AuditRead),
    // interaction
    interaction: selfOr(P.CustomerRead),
    timelineEntry: selfOr(P.CustomerRead),
    followUpTasks: staff(P.InteractionLog),
    myFollowUpTasks: staff(P.InteractionLog),
    message: selfOr(P.CustomerRead),
    emailTemplates: staff([P.InteractionLog, P.TemplateManage]),
    meeting: selfOr(P.CustomerRead),
    capturedMessages: staff(P.CapturedMessagesRead),
    publicTestimonials: 'public',
    feedback: selfOr(P.CustomerRead),
    // invitation
    invitation: selfOr(P.CustomerRead),
    lounges: selfOr(P.CustomerRead),
    lounge: { privilege: P.CustomerRead, self: true, device: true },
    qrScan: { privilege: P.CustomerRead, device: true },
    // loyalty
    loyaltyAccount: selfOr(P.CustomerRead),
    loungeEligibility: selfOr(P.CustomerRead),
  },
  Mutation: {
    // case
    openCase: selfOr(P.ComplaintManage),
    changeCaseStatus: staff(P.ComplaintManage),
    resolveCase: staff(P.ComplaintManage),
    addCaseComment: selfOr(P.ComplaintManage),
    fileCompensationClaim: staff(P.ComplaintManage),
    approveCompensation: staff(P.CompensationApprove),
    rejectCompensation: staff(P.CompensationApprove),
    recordCompensationPayment: staff(P.CompensationApprove),
    assignCase: staff(P.ComplaintManage),
    defineAgent: staff(P.CaseRoutingManage),
    defineQueue: staff(P.CaseRoutingManage),
    setRoutingRules: staff(P.CaseRoutingManage),
    setSlaPolicy: staff(P.CaseRoutingManage),
    requestCaseAttachmentUpload: selfOr(P.ComplaintManage),
    completeCaseAttachment: selfOr(P.ComplaintManage),
    // customer
    createCustomer: staff(P.CustomerCreate),
    updateCustomer: staff(P.CustomerUpdate),
    changeCustomerStatus: staff(P.CustomerUpdate),
    deactivateCustomer: staff(P.CustomerDeactivate),
    reactivateCustomer: staff(P.CustomerDeactivate),
    mergeCustomers: staff(P.CustomerMerge),
    updateCustomerPreferences: selfOr(P.CustomerUpdate),
    recordConsent: selfOr(P.CustomerUpdate),
    registerCustomerDevice: selfOr(P.CustomerUpdate),
    addContact: staff(P.CustomerUpdate),
    updateContact: staff(P.CustomerUpdate),
    removeContact: staff(P.CustomerUpdate),
    tagContact: staff(P.CustomerUpdate),
    untagContact: staff(P.CustomerUpdate),
    startContactImport: staff(P.CustomerUpdate),
    exportContacts: selfOr(P.CustomerRead),
    recordPurchase: staff(P.CustomerUpdate),
    refundPurchase: staff(P.CustomerUpdate),
    recordTrip: staff(P.CustomerUpdate),
    overrideCustomerSegment: staff(P.CustomerUpdate),
    overrideCustomerRating: staff(P.CustomerDeactivate),
    requestDataSubjectExport: selfOr(P.GdprExport),
    eraseCustomer: staff(P.GdprErase),
    // interaction
    logInteraction: staff(P.InteractionLog),
    createFollowUpTask: staff(P.InteractionLog),
    assignFollowUpTask: staff(P.InteractionLog),
    completeFollowUpTask: staff(P.InteractionLog),
    sendEmail: staff(P.InteractionLog),
    sendSms: staff(P.InteractionLog),
    defineEmailTemplate: staff(P.TemplateManage),
    recordEmailBounce: staff(P.InteractionLog),
    scheduleMeeting: staff(P.InteractionLog),
    cancelMeeting: staff(P.InteractionLog),
    submitFeedback: selfOr(P.InteractionLog),
    approveTestimonial: staff(P.TestimonialApprove),
    rejectTestimonial: staff(P.TestimonialApprove),
    withdrawTestimonialConsent: selfOr([P.InteractionLog, P.TestimonialApprove]),
    // invitation
    issueInvitation: staff(P.InvitationIssue),
    revokeInvitation: staff(P.InvitationIssue),
    resendInvitation: staff(P.InvitationIssue),
    validateQr: 'device-only',
    registerLoungeDevice: staff(P.LoungeManage),
    disableLoungeDevice: staff(P.LoungeManage),
    enableLoungeDevice: staff(P.LoungeManage),
    // loyalty
    enrollLoyaltyMember: staff(P.LoyaltyManage),
    accruePoints: staff(P.LoyaltyManage),
    redeemAvios: staff(P.LoyaltyManage),
    expireAvios: staff(P.LoyaltyManage),
    adjustPoints: staff(P.LoyaltyManage),
    overrideLoyaltyTier: staff(P.LoyaltyManage),
    refreshLoyaltyAccount: selfOr(P.CustomerRead),
  },
};

const privilegesOf = (access: Exclude<OperationAccess, string>) => (Array.isArray(access.privilege) ? access.privilege : [access.privilege]);

/**
 * Whether a token holding `roles` (and MFA or not) may call the field at all. The matrix spec computes its
 * expectations with this, and `requireOperationAccess` enforces it.
 */
export function operationAllowed(access: OperationAccess, roles: readonly Role[], mfa: boolean): boolean {
  if (access === 'public') return roles.length > 0;
  if (access === 'device-only') return roles.includes('LoungeDevice');
  if (access.self && roles.includes('Customer')) return true;
  if (access.device && roles.includes('LoungeDevice')) return true;
  return privilegesOf(access).some((privilege) =>
    roles.some((role) => role !== 'Customer' && ROLE_PRIVILEGES[role].has(privilege) && (mfa || !MFA_PRIVILEGES.has(privilege))),
  );
}

/**
 * The gate every subgraph puts before each Query and Mutation root field. A field without an entry is refused
 * (a new operation must be given its rule here; the matrix spec names it).
 */
export function requireOperationAccess(caller: Caller, type: 'Query' | 'Mutation', field: string): void {
  const access = OPERATION_ACCESS[type][field];
  if (!access) throw new ForbiddenError(`${type}.${field} has no access rule (platform/src/auth/operations.ts)`);
  if (operationAllowed(access, caller.roles, caller.mfa)) return;
  if (typeof access === 'object') {
    const staffCaller: Caller = { ...caller, roles: caller.roles.filter((r) => r !== 'Customer') };
    // A staff role with the privilege but no MFA: say so (requirePrivilege explains it).
    for (const privilege of privilegesOf(access)) {
      if (!hasPrivilege(staffCaller, privilege)) requirePrivilegeIfHeld(staffCaller, privilege);
    }
    const names = privilegesOf(access).join(' or ');
    throw new ForbiddenError(`Your roles (${caller.roles.join(', ') || 'none'}) do not allow ${field}: it needs ${names}`);
  }
  throw new ForbiddenError(access === 'device-only' ? `${field} is for lounge door devices only` : `You may not call ${field}`);
}

function requirePrivilegeIfHeld(caller: Caller, privilege: Privilege): void {
  if (caller.roles.some((r) => ROLE_PRIVILEGES[r].has(privilege))) requirePrivilege(caller, privilege);
}
