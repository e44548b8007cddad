import type { AgentRow, CaseAttachmentRow, CaseCommentRow, CaseHistoryRow, CaseRow, CompensationClaimRow, QueueRow, RoutingRuleRow, SlaMilestoneRow, SlaPolicyRow } from './db/schema.ts';
import type { CompensationDecision } from './domain/compensation/engine.ts';

export type CaseMapper = CaseRow;
export type CaseHistoryEntryMapper = CaseHistoryRow;
export type CaseCommentMapper = CaseCommentRow;
export type CompensationClaimMapper = CompensationClaimRow;
export type CompensationDecisionMapper = CompensationDecision;
export type CustomerMapper = { id: string };
export type QueueMapper = QueueRow;
export type AgentMapper = AgentRow;
export type RoutingRuleMapper = RoutingRuleRow;
export type SlaPolicyMapper = SlaPolicyRow;
export type SlaMilestoneMapper = SlaMilestoneRow;
export type CaseAttachmentMapper = CaseAttachmentRow;
export type CaseAttachmentUploadMapper = { attachment: CaseAttachmentRow; uploadUrl: string; expiresAt: Date; headers: Record<string, string> };

/** A GDPR erasure preview's key: the customer. */
export type ErasurePreviewMapper = { customerId: string };

/** A customer audit trail's key: the customer (its records are read per subgraph). */
export type AuditTrailMapper = { customerId: string };
