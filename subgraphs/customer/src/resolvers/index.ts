import { mergeResolverMaps } from '@cmp/platform';
import { commerceResolvers } from './commerce.ts';
import { contactResolvers } from './contacts.ts';
import { customerResolvers } from './customers.ts';
import { dataExportResolvers } from './data-export.ts';
import { erasureResolvers } from './erasure.ts';
import { searchResolvers } from './search.ts';
import { transferResolvers } from './transfer.ts';

export const resolvers = mergeResolverMaps(customerResolvers, searchResolvers, contactResolvers, transferResolvers, commerceResolvers, dataExportResolvers, erasureResolvers);
