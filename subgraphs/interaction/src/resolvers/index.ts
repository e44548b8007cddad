import { mergeResolverMaps } from '@cmp/platform';
import { communicationsResolvers } from './communications.ts';
import { dataExportResolvers } from './data-export.ts';
import { deliveryResolvers } from './delivery.ts';
import { erasureResolvers } from './erasure.ts';
import { feedbackResolvers } from './feedback.ts';
import { timelineResolvers } from './timeline.ts';

export const resolvers = mergeResolverMaps(timelineResolvers, communicationsResolvers, deliveryResolvers, feedbackResolvers, dataExportResolvers, erasureResolvers);
