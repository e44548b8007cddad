import { alignMany, alignOne, loaderPerArguments, type Database } from '@cmp/platform';
import DataLoader from 'dataloader';
import { findAnalysesBySubjects, findAnalysesOfCustomers } from '../db/analysis.repo.ts';
import { findFeedbackByIds, findFeedbackPages, type FeedbackPage } from '../db/feedback.repo.ts';
import type { CustomerInsightsRow, FeedbackRow, TextAnalysisRow } from '../db/feedback.schema.ts';
import { insightsOfCustomers } from '../domain/insights.ts';

export function feedbackLoaders(db: Database) {
  return {
    feedbackById: new DataLoader<string, FeedbackRow | null>(async (ids) => alignOne(ids, await findFeedbackByIds(db, ids), (f) => f.id)),
    feedbackOfCustomer: loaderPerArguments<FeedbackPage, FeedbackRow[]>(async (customerIds, page) =>
      alignMany(customerIds, await findFeedbackPages(db, customerIds, page), (f) => f.customerId),
    ),
    /** The analysis of each subject of one type (`Interaction`, `Feedback`, `Case`), one query per type. */
    analysisOf: loaderPerArguments<string, TextAnalysisRow | null>(async (subjectIds, subjectType) =>
      alignOne(subjectIds, await findAnalysesBySubjects(db, subjectType, subjectIds), (a) => a.subjectId),
    ),
    textAnalysesOfCustomer: loaderPerArguments<{ label: TextAnalysisRow['label'] | null; limit: number }, TextAnalysisRow[]>(async (customerIds, filter) =>
      alignMany(customerIds, await findAnalysesOfCustomers(db, customerIds, filter), (a) => a.customerId),
    ),
    insightsOfCustomer: new DataLoader<string, CustomerInsightsRow>((customerIds) => insightsOfCustomers(db, customerIds)),
  };
}
