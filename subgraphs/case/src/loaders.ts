import { alignMany, alignOne, loaderPerArguments, type Database } from '@cmp/platform';
import DataLoader from 'dataloader';
import { findCasesByIds, findCasesOfCustomers, findHistory } from './db/cases.repo.ts';
import { asc, eq, inArray } from 'drizzle-orm';
import { agents, caseAttachments, caseComments, compensationClaims, queueMembers, slaMilestones, type SlaMilestoneRow, type AgentRow, type CaseAttachmentRow, type CaseCommentRow, type CaseHistoryRow, type CaseRow, type CompensationClaimRow } from './db/schema.ts';
import type { CaseStatus } from './domain/rules.ts';

/** Per-request loaders: one query per entity type and level, never one per row. */
export function createLoaders(db: Database) {
  return {
    caseById: new DataLoader<string, CaseRow | null>(async (ids) => alignOne(ids, await findCasesByIds(db, ids), (c) => c.id)),
    historyByCaseId: new DataLoader<string, CaseHistoryRow[]>(async (ids) =>
      alignMany(ids, await findHistory(db, ids), (h) => h.caseId),
    ),
    commentsByCaseId: new DataLoader<string, CaseCommentRow[]>(async (ids) =>
      alignMany(
        ids,
        await db.select().from(caseComments).where(inArray(caseComments.caseId, [...ids])).orderBy(asc(caseComments.createdAt), asc(caseComments.id)),
        (c) => c.caseId,
      ),
    ),
    claimByCaseId: new DataLoader<string, CompensationClaimRow | null>(async (ids) =>
      alignOne(ids, await db.select().from(compensationClaims).where(inArray(compensationClaims.caseId, [...ids])), (c) => c.caseId),
    ),
    agentsOfQueue: new DataLoader<string, AgentRow[]>(async (codes) => {
      const rows = await db
        .select({ queueCode: queueMembers.queueCode, agent: agents })
        .from(queueMembers)
        .innerJoin(agents, eq(agents.id, queueMembers.agentId))
        .where(inArray(queueMembers.queueCode, [...codes]))
        .orderBy(asc(agents.id));
      return alignMany(codes, rows, (r) => r.queueCode).map((group) => group.map((r) => r.agent));
    }),
    milestonesByCaseId: new DataLoader<string, SlaMilestoneRow[]>(async (ids) =>
      alignMany(ids, await db.select().from(slaMilestones).where(inArray(slaMilestones.caseId, [...ids])).orderBy(asc(slaMilestones.dueAt)), (m) => m.caseId),
    ),
    attachmentsByCaseId: new DataLoader<string, CaseAttachmentRow[]>(async (ids) =>
      alignMany(ids, await db.select().from(caseAttachments).where(inArray(caseAttachments.caseId, [...ids])).orderBy(asc(caseAttachments.createdAt), asc(caseAttachments.id)), (a) => a.caseId),
    ),
    casesOfCustomer: loaderPerArguments<CaseStatus[] | null, CaseRow[]>(async (customerIds, statuses) =>
      alignMany(customerIds, await findCasesOfCustomers(db, customerIds, statuses), (c) => c.customerId),
    ),
  };
}

export type Loaders = ReturnType<typeof createLoaders>;
